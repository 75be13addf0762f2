"""Card-terminal drivers: the protocol codecs of `protocol.terminal` run over serial or TCP."""
