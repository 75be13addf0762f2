"""The Textual UI of the counter agent: one screen per mode (clerk, cashier, kiosk, technician).

The UI talks to the agent core only through the face `service_view.CounterService`
(which `agent.service.AgentService` provides), calling its blocking methods in worker
threads so that no terminal, broker or disk wait ever freezes the screen.
Entry point: `app.run`.
"""
