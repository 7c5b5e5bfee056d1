"""The routing solvers on small problems whose best answer is known."""

from o2o.delivery import routing

DEPOT = (31.2304, 121.4737)


def _line(n: int) -> list[routing.Stop]:
    """Stops due east of the depot, 1 km apart, given in a shuffled order."""
    order = [3, 0, 4, 1, 2][:n]
    return [routing.Stop(DEPOT[0], DEPOT[1] + 0.0105 * (i + 1), 1, (0, 8 * 3600)) for i in order]


def _problem(stops, vans=1, capacity=10) -> routing.Problem:
    return routing.Problem(depot=DEPOT, stops=stops, vans=[routing.Van(capacity, 10)] * vans, horizon_s=8 * 3600)


def test_both_solvers_drive_along_the_line_once():
    problem = _problem(_line(5))
    for use_ortools in (True, False):
        plan = routing.solve(problem, time_limit_s=1, use_ortools=use_ortools)
        [route] = plan.routes
        nearest_first = sorted(range(5), key=lambda i: problem.stops[i].longitude)
        assert (plan.solver, route.stops) == ("ortools" if use_ortools else "heuristic", nearest_first)
        assert route.arrivals == sorted(route.arrivals)


def test_a_time_window_reorders_the_route():
    stops = _line(2)  # stops[0] is 4 km out and due within the hour, stops[1] 1 km out but later
    early = routing.Stop(stops[0].latitude, stops[0].longitude, 1, (0, 3600))
    late = routing.Stop(stops[1].latitude, stops[1].longitude, 1, (3 * 3600, 4 * 3600))
    problem = _problem([early, late])
    for use_ortools in (True, False):
        plan = routing.solve(problem, time_limit_s=1, use_ortools=use_ortools)
        assert plan.routes[0].stops == [0, 1]
        assert 3 * 3600 <= plan.routes[0].arrivals[1] <= 4 * 3600


def test_what_no_van_can_carry_is_left_unplanned():
    stops = [
        routing.Stop(DEPOT[0], DEPOT[1] + 0.01, 6, (0, 3600)),
        routing.Stop(DEPOT[0], DEPOT[1] + 0.02, 6, (0, 3600)),
    ]
    for use_ortools in (True, False):
        plan = routing.solve(_problem(stops, capacity=8), time_limit_s=1, use_ortools=use_ortools)
        assert len(plan.routes[0].stops) == 1 and len(plan.unassigned) == 1
