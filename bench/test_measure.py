"""The arithmetic behind bench/measure.py's verdicts: how slices are pooled,
how a ratio meets its goal, how slices pair, and when the counts held.

    python3 -m unittest discover -s bench

Standard library only, as measure.py; nothing here starts Spin or wrk.
"""

import unittest

import measure


def wrk_slice(file, requests, seconds, p_us, connections=32, status=0, timeout=0):
    """One slice as bench/wrk.lua writes it and measure.py annotates it;
    every percentile at `p_us`."""
    return {"file": file, "name": "row", "connections": connections, "load_before": "0.1 0.1 0.1",
            "requests": requests, "duration_us": int(seconds * 1e6),
            "errors": {"connect": 0, "read": 0, "write": 0, "status": status, "timeout": timeout},
            "latency_us": {"percentiles": [p_us] * 99}}


class Pool(unittest.TestCase):
    def test_latency_is_weighted_by_each_slices_requests(self):
        # A quarter of the requests at 1 ms, three quarters at 5 ms: the
        # pooled median is 5 ms. Pooling the percentiles unweighted would
        # put it at 1 ms.
        side = measure.pool([wrk_slice("000", 1000, 2, 1000), wrk_slice("001", 3000, 2, 5000)])
        self.assertEqual(side["p50_ms"], 5.0)
        self.assertEqual(side["p99_ms"], 5.0)

    def test_throughput_counts_answered_requests_over_all_seconds(self):
        side = measure.pool([wrk_slice("000", 1000, 2, 1000, status=100), wrk_slice("001", 3000, 2, 1000)])
        self.assertEqual(side["requests"], 4000)
        self.assertEqual(side["succeeded"], 3900)
        self.assertEqual(side["rps"], 975.0)

    def test_unseen_requests_are_one_per_connection_per_slice_and_each_socket_error(self):
        side = measure.pool([wrk_slice("000", 1000, 2, 1000, status=100, timeout=2),
                             wrk_slice("001", 1000, 2, 1000)])
        self.assertEqual(side["errors"], 102)
        # Refusals were answered, so wrk saw them; the timeouts it did not.
        self.assertEqual(side["unseen"], 32 * 2 + 2)

    def test_keeps_which_slices_it_pooled(self):
        side = measure.pool([wrk_slice("004", 10, 1, 1000), wrk_slice("007", 10, 1, 1000)])
        self.assertEqual(side["runs"], ["004", "007"])


def side(rps=1000.0, p50_ms=50.0, requests=1000):
    return {"rps": rps, "p50_ms": p50_ms, "requests": requests}


class Judge(unittest.TestCase):
    def test_throughput_meets_its_goal_at_or_above_the_share_of_the_floor(self):
        self.assertTrue(measure.judge(side(rps=900), side(rps=1000), "rps", 0.9)["met"])
        verdict = measure.judge(side(rps=899), side(rps=1000), "rps", 0.9)
        self.assertFalse(verdict["met"])
        self.assertAlmostEqual(verdict["ratio"], 0.899)

    def test_latency_meets_its_goal_at_or_below_the_multiple_of_the_floor(self):
        self.assertTrue(measure.judge(side(p50_ms=57.5), side(p50_ms=50), "p50", 1.15)["met"])
        verdict = measure.judge(side(p50_ms=58), side(p50_ms=50), "p50", 1.15)
        self.assertFalse(verdict["met"])
        self.assertAlmostEqual(verdict["ratio"], 1.16)

    def test_a_row_without_a_goal_has_a_ratio_and_no_verdict(self):
        verdict = measure.judge(side(rps=500), side(rps=1000), "rps", None)
        self.assertEqual((verdict["ratio"], verdict["met"]), (0.5, None))

    def test_no_ratio_when_a_side_got_no_answer(self):
        for endpoint, floor in ((side(requests=0), side()), (side(), side(requests=0)), (side(), side(rps=0))):
            verdict = measure.judge(endpoint, floor, "rps", 0.9)
            self.assertEqual((verdict["metric"], verdict["ratio"], verdict["met"]), ("none", None, None))


class PairRatios(unittest.TestCase):
    def test_each_endpoint_slice_is_divided_by_the_floor_slice_beside_it(self):
        # Slices ran floor, endpoint, endpoint, floor: pairs (001, 000) and (002, 003).
        runs = [wrk_slice("000", 1000, 1, 1000), wrk_slice("001", 800, 1, 1000),
                wrk_slice("002", 450, 1, 1000), wrk_slice("003", 500, 1, 1000)]
        row = {"metric": "rps", "measured": {"runs": ["001", "002"]}, "floor_measured": {"runs": ["000", "003"]}}
        self.assertEqual(measure.pair_ratios(row, runs), [0.8, 0.9])

    def test_latency_pairs_divide_the_p50s(self):
        runs = [wrk_slice("000", 20, 1, 50_000), wrk_slice("001", 20, 1, 60_000)]
        row = {"metric": "p50", "measured": {"runs": ["001"]}, "floor_measured": {"runs": ["000"]}}
        self.assertEqual(measure.pair_ratios(row, runs), [1.2])

    def test_refusals_do_not_count_as_throughput_within_a_pair(self):
        runs = [wrk_slice("000", 1000, 1, 1000), wrk_slice("001", 1000, 1, 1000, status=300)]
        row = {"metric": "rps", "measured": {"runs": ["001"]}, "floor_measured": {"runs": ["000"]}}
        self.assertEqual(measure.pair_ratios(row, runs), [0.7])

    def test_a_row_without_a_ratio_has_no_pairs(self):
        self.assertEqual(measure.pair_ratios({"metric": "none"}, []), [])

    def test_spread_names_the_lowest_and_highest(self):
        self.assertEqual(measure.spread([0.77, 0.74, 0.76]), "0.74–0.77")
        self.assertEqual(measure.spread([1.12, 1.05], "p50"), "1.05–1.12×")
        self.assertEqual(measure.spread([]), "")


class Audit(unittest.TestCase):
    def test_holds_when_every_answer_is_counted_and_no_more_than_the_unseen_besides(self):
        self.assertTrue(measure.audit("login", 10, 110, 100, 32, 0)["ok"])
        self.assertTrue(measure.audit("login", 10, 142, 100, 32, 0)["ok"])

    def test_fails_when_an_answered_request_was_not_counted(self):
        self.assertFalse(measure.audit("login", 10, 109, 100, 32, 0)["ok"])

    def test_fails_when_more_was_counted_than_could_have_been_served(self):
        self.assertFalse(measure.audit("login", 10, 143, 100, 32, 0)["ok"])

    def test_fails_while_the_outbox_still_holds_entries(self):
        self.assertFalse(measure.audit("login", 10, 110, 100, 32, 1)["ok"])


class Render(unittest.TestCase):
    def report(self, **extra):
        runs = [wrk_slice("000", 1000, 1, 1000), wrk_slice("001", 800, 1, 1000)]
        row = {"endpoint": "GET /auth/me", "connections": 32, "floor": "1 get", "note": "", "errors": 0,
               **measure.judge(measure.pool(runs[1:]), measure.pool(runs[:1]), "rps", 0.9),
               "measured": {"runs": ["001"]}, "floor_measured": {"runs": ["000"]}}
        return {"machine": {"nproc": 2, "cpu": "cpu", "mem_kib": 1048576}, "store": "sqlite",
                "duration_s": 1, "slices": 1, "connections": 32, "actions_in_index": 3,
                "notifications_listed": 5, "floor_reads": {}, "hello": {"rps": 9000, "p50_ms": 3.0},
                "rows": [row], "runs": runs, **extra}

    def test_a_row_shows_its_ratio_pairs_and_verdict(self):
        markdown = measure.render(self.report(audit=[]))
        self.assertIn("| `GET /auth/me` | 32 | 800 req/s | 1 get | 1,000 req/s | 0.80 | 0.80–0.80 | ≥ 0.9 ✗ |",
                      markdown)

    def test_the_counts_check_is_shown_with_its_verdict(self):
        audit = [measure.audit("login", 10, 109, 100, 32, 0)]
        self.assertIn("- `login`: 99 counted, 100 answered, up to 32 unseen: ✗",
                      measure.render(self.report(audit=audit)))

    def test_a_report_from_before_the_counts_check_renders_without_it(self):
        self.assertNotIn("Counted in analytics", measure.render(self.report()))

    def test_a_counts_check_from_before_the_outbox_was_counted_renders(self):
        audit = {"action": "login", "counted": 100, "succeeded": 100, "unseen": 32, "ok": True}
        self.assertIn("- `login`: 100 counted, 100 answered, up to 32 unseen: ✓",
                      measure.render(self.report(audit=[audit])))


class ReadFloors(unittest.TestCase):
    def test_sqlite_reads_a_batch_in_one_call(self):
        calls = measure.read_floors("sqlite", actions=3, listed=5)
        self.assertEqual(calls["metrics"], [1, 3, 3])
        self.assertEqual(measure.floor_query(calls["metrics"]), "n=1&batch=3,3")
        self.assertEqual(measure.floor_name(calls["metrics"]), "1 get + 2 get-many of 3")
        self.assertEqual(measure.floor_name(calls["list"]), "1 get + 2 get-many of 5")

    def test_redis_reads_every_key_on_its_own(self):
        calls = measure.read_floors("redis", actions=3, listed=5)
        self.assertEqual(measure.floor_query(calls["metrics"]), "n=7")
        self.assertEqual(measure.floor_name(calls["metrics"]), "7 gets")
        self.assertEqual(measure.floor_name(calls["list"]), "11 gets")

    def test_an_empty_index_reads_only_its_counter(self):
        for store in ("sqlite", "redis"):
            self.assertEqual(measure.read_floors(store, actions=0, listed=0)["metrics"], [1])
        self.assertEqual(measure.floor_name([1]), "1 get")


if __name__ == "__main__":
    unittest.main()
