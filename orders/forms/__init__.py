"""Order forms, one module per topic: `booking` (the web and phone booking form, the start-time
inputs, cancel, reschedule, claim), `care`, `catalogue`, `jobs`, `phone`."""
