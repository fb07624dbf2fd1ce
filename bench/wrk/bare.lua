-- (a) the bare JSON view: a plain GET, no auth, no database.
wrk.method = "GET"
wrk.path = "/bench/bare"
