"""Payment QR speed: parse throughput over a mix of formats, and decode time of a camera frame.

Targets (issue 2): parse >= 50,000 payloads/s; a 640×480 frame with one code decoded
in <= 30 ms.  Prints figures only; speed is not asserted anywhere.

    .venv/bin/python bench/qr.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from PIL import Image

from figures import record

from protocol.ids import iban, italy, nip
from protocol.ids import pagopa as notice
from protocol.ids import rf as rf_id
from protocol.qr import checks, epc, parse, zbp
from protocol.qr.image import decode, make_png, open_image

CREDITORS = 20  # creditor identifiers repeat at a counter; per-payment parts never do


def payload_mix(count: int, creditors: int = CREDITORS, seed: int = 2) -> list[str]:
    """`count` distinct payloads: pagoPA (some failing mod-93), EPC, ZBP, RF, junk.

    Notice numbers, amounts, references and titles differ on every payload; the
    creditors' IBANs, fiscal codes and NIPs come from a pool of `creditors`, as at a
    real counter (the check caches in protocol.qr.checks rely on that)."""
    rng = random.Random(seed)
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    fiscal = [italy.generate_vat(f"{rng.randrange(1, 10**7):07d}001") for _ in range(creditors)]
    ibans = [iban.generate("IT", "X0542811101" + digits(12)) for _ in range(creditors)]
    nrbs = [iban.generate("PL", "10901014" + digits(16))[2:] for _ in range(creditors)]
    nips = []
    while len(nips) < creditors:
        try:
            nips.append(nip.generate(digits(9)))
        except ValueError:
            continue
    out = []
    for i in range(count):
        kind = i % 8
        if kind in (0, 1):
            number = notice.generate(3, digits(13), segregation_code="01")
            if kind == 1:  # a misprinted notice: structure fine, mod-93 wrong
                number = number[:16] + "%02d" % ((int(number[16:]) + 1) % 93)
            out.append(f"PAGOPA|002|{number}|{rng.choice(fiscal)}|{rng.randrange(1, 10**6)}")
        elif kind == 2:
            out.append(epc.make("Comune di Città", rng.choice(ibans), rng.randrange(1, 10**6),
                                bic="BPOTBEB1", purpose="GOVT", reference=rf_id.generate(digits(12)), version="001"))
        elif kind == 3:
            out.append(epc.make("Rīgas dome", rng.choice(ibans), rng.randrange(1, 10**6),
                                text=f"Rēķins {digits(8)}", charset=4))
        elif kind == 4:
            out.append(zbp.make(rng.choice(nrbs), "Urząd Miasta", f"Opłata {digits(6)}/2024",
                                rng.randrange(0, 10**6), nip=rng.choice(nips)))
        elif kind == 5:
            out.append(rf_id.generate(digits(rng.randrange(4, 21))))
        elif kind == 6:
            out.append("RF00" + digits(12))  # wrong check digits
        else:
            out.append(f"not a payment code {digits(6)}")
    return out


def cold_throughput() -> float:
    """One pass where every creditor is new: the worst case, nothing cached."""
    for check in (checks.iban_ok, checks.bic_ok, checks.nip_ok, checks.italian_vat_error):
        check.cache_clear()
    payloads = payload_mix(5_000, creditors=5_000, seed=3)
    start = time.perf_counter()
    for payload in payloads:
        parse(payload)
    return len(payloads) / (time.perf_counter() - start)


def parse_throughput(seconds: float) -> tuple[float, int]:
    payloads = payload_mix(20_000)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for payload in payloads:
            parse(payload)
        count += len(payloads)
    return count / (time.perf_counter() - start), count


def camera_frame() -> tuple[bytes, int, int]:
    """A 640×480 greyscale frame: textured paper with one ZBP code, as a webcam would give."""
    payload = zbp.make("61109010140000071219812874", "Urząd Miasta", "Opłata 123/2024", 12345)
    code = open_image(make_png(payload, scale=3)).convert("L")
    rng = random.Random(1)
    frame = Image.new("L", (640, 480))
    frame.putdata([rng.randrange(150, 256) for _ in range(640 * 480)])
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    return frame.tobytes(), 640, 480


def decode_times(runs: int) -> list[float]:
    frame = camera_frame()
    assert len(decode(frame)) == 1, "the bench frame must hold one readable code"
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        decode(frame)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="how long to run the parse loop")
    parser.add_argument("--frames", type=int, default=50, help="how many frame decodes to time")
    args = parser.parse_args()
    rate, count = parse_throughput(args.seconds)
    print(f"parse: {rate:,.0f} payloads/s over {count:,} parses of 20,000 distinct payloads "
          f"(pagoPA, EPC, ZBP, RF, unknown)  target >= 50,000/s")
    cold = cold_throughput()
    print(f"parse, every creditor new (nothing cached): {cold:,.0f} payloads/s")
    times = decode_times(args.frames)
    print(f"decode 640x480 frame, one code: median {statistics.median(times):.1f} ms, "
          f"max {max(times):.1f} ms over {len(times)} runs  target <= 30 ms")
    record("qr", "parse throughput", round(rate), "payloads/s", ">= 50000", rate >= 50_000)
    record("qr", "parse throughput, nothing cached", round(cold), "payloads/s", ">= 50000", cold >= 50_000)
    median = statistics.median(times)
    record("qr", "decode 640x480 frame (median)", round(median, 1), "ms", "<= 30", median <= 30)


if __name__ == "__main__":
    main()
