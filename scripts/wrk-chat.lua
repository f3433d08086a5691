-- wrk script: a realistic streaming chat request (~100-word prompt, 16 output tokens,
-- usage in the stream), the shape gauntlet sends. Used by scripts/bench-mock.sh.
wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"mock-model","messages":[{"role":"user","content":"jumps model careful write brown dog fox of write latency of under engineers careful a fox of the reports engineers measure servers write write the load latency dog and careful lazy model fox seven the the the under language the engineers heavy a measure and the large lazy write latency of language lazy tired lazy heavy lazy write latency while the measure reports language under fox over under and while fox and seven and load large measure large reports heavy a while while model of large engineers model quick of lazy and careful engineers measure heavy over tired language load"}],"max_tokens":16,"min_tokens":16,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}'

-- No response() callback on purpose: it makes wrk hand every body to Lua, which slows the
-- client more than the server. wrk itself prints "Non-2xx or 3xx responses" when any occur.
