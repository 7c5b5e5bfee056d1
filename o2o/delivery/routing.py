"""Ordering stops into vehicle routes: a vehicle routing problem with capacities and time windows.

Pure Python, no Django: the planner (services.plan_runs) and the benchmark (bench/routing.py) call
`solve`. OR-Tools' routing solver does the work (cheapest-arc start, guided local search, bounded
by a time limit); when it is missing, finds nothing in time or fails, the heuristic answers
(nearest feasible neighbour per vehicle, then 2-opt inside each route). Stops no vehicle can
reach in their window or fit are left unassigned (the planner leaves them for the next plan).

Distances are great-circle metres times a road factor; travel time is distance at a fixed speed.
Times are seconds from the start of the day's window.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

ROAD_FACTOR = 1.3  # streets are not straight lines: a typical detour factor in a city grid
EARTH_RADIUS_M = 6_371_000


@dataclass(frozen=True)
class Stop:
    latitude: float
    longitude: float
    units: int
    window: tuple[int, int]  # earliest and latest arrival, seconds from the day's start


@dataclass(frozen=True)
class Van:
    capacity_units: int
    max_stops: int


@dataclass
class Route:
    stops: list[int] = field(default_factory=list)  # indexes into the stops given
    arrivals: list[int] = field(default_factory=list)  # seconds from the day's start
    distance_m: int = 0
    duration_s: int = 0  # from leaving the depot to the last stop's service end


@dataclass
class Plan:
    routes: list[Route]
    unassigned: list[int]
    solver: str  # "ortools" or "heuristic"

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)


@dataclass(frozen=True)
class Problem:
    depot: tuple[float, float]
    stops: Sequence[Stop]
    vans: Sequence[Van]
    horizon_s: int  # the day's window length: every route ends by then
    speed_kmh: float = 25.0
    service_s: int = 180  # handing over at the door

    def matrix(self) -> list[list[int]]:
        points = [self.depot, *((s.latitude, s.longitude) for s in self.stops)]
        return [[road_metres(a, b) for b in points] for a in points]


def road_metres(a: tuple[float, float], b: tuple[float, float]) -> int:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return int(2 * EARTH_RADIUS_M * math.asin(math.sqrt(h)) * ROAD_FACTOR)


def solve(problem: Problem, *, time_limit_s: int = 5, use_ortools: bool = True) -> Plan:
    """The best plan found within the time limit; the heuristic's when OR-Tools finds none."""
    if not problem.stops:
        return Plan(routes=[Route() for _ in problem.vans], unassigned=[], solver="heuristic")
    distances = problem.matrix()
    if use_ortools:
        try:
            plan = solve_ortools(problem, distances, time_limit_s=time_limit_s)
        except (ImportError, RuntimeError, ValueError):  # the solver missing or refusing the model
            plan = None
        if plan is not None:
            return plan
    return solve_heuristic(problem, distances)


def _seconds(metres: int, speed_kmh: float) -> int:
    return int(round(metres / (speed_kmh * 1000 / 3600)))


def _travel(problem: Problem, distances: list[list[int]]) -> list[list[int]]:
    """Seconds from node i to node j, including the service time at i (none at the depot)."""
    n = len(distances)
    return [
        [_seconds(distances[i][j], problem.speed_kmh) + (problem.service_s if i else 0) for j in range(n)]
        for i in range(n)
    ]


def solve_ortools(problem: Problem, distances: list[list[int]], *, time_limit_s: int) -> Plan | None:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n, vans = len(distances), len(problem.vans)
    travel = _travel(problem, distances)
    manager = pywrapcp.RoutingIndexManager(n, vans, 0)
    routing = pywrapcp.RoutingModel(manager)
    # Open routes: a van ends at its last stop (the way back is not planned), so arcs home cost nothing.
    open_distances = [[0 if j == 0 else d for j, d in enumerate(row)] for row in distances]
    open_travel = [[0 if j == 0 else t for j, t in enumerate(row)] for row in travel]
    cost = routing.RegisterTransitMatrix(open_distances)
    routing.SetArcCostEvaluatorOfAllVehicles(cost)

    time_cb = routing.RegisterTransitMatrix(open_travel)
    routing.AddDimension(time_cb, problem.horizon_s, problem.horizon_s, False, "time")  # waiting allowed
    time = routing.GetDimensionOrDie("time")
    for node, stop in enumerate(problem.stops, start=1):
        start, end = stop.window
        time.CumulVar(manager.NodeToIndex(node)).SetRange(start, end)
    for v in range(vans):
        time.CumulVar(routing.Start(v)).SetRange(0, problem.horizon_s)
        routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(v)))

    demands = [0, *(s.units for s in problem.stops)]
    units_cb = routing.RegisterUnaryTransitVector(demands)
    routing.AddDimensionWithVehicleCapacity(units_cb, 0, [v.capacity_units for v in problem.vans], True, "units")
    count_cb = routing.RegisterUnaryTransitVector([0] + [1] * (n - 1))
    routing.AddDimensionWithVehicleCapacity(count_cb, 0, [v.max_stops for v in problem.vans], True, "stops")

    # A stop may be dropped (it waits for the next plan), at a price far above any detour.
    penalty = 10 * max(max(row) for row in distances) + 1
    for node in range(1, n):
        routing.AddDisjunction([manager.NodeToIndex(node)], penalty)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return None

    routes, served = [], set()
    for v in range(vans):
        route, index = Route(), routing.Start(v)
        previous = 0
        while not routing.IsEnd(index := solution.Value(routing.NextVar(index))):
            node = manager.IndexToNode(index)
            route.stops.append(node - 1)
            route.arrivals.append(solution.Value(time.CumulVar(index)))
            route.distance_m += distances[previous][node]
            previous = node
            served.add(node - 1)
        if route.stops:
            route.duration_s = _duration(problem, route, travel)
        routes.append(route)
    unassigned = [i for i in range(len(problem.stops)) if i not in served]
    return Plan(routes=routes, unassigned=unassigned, solver="ortools")


def _duration(problem: Problem, route: Route, travel: list[list[int]]) -> int:
    """From leaving the depot (just in time for the first stop) to the last stop's service end."""
    departure = route.arrivals[0] - travel[0][route.stops[0] + 1]
    return route.arrivals[-1] + problem.service_s - departure


# --- the fallback: nearest feasible neighbour, then 2-opt ---------------------------------------


def solve_heuristic(problem: Problem, distances: list[list[int]]) -> Plan:
    travel = _travel(problem, distances)
    left = set(range(len(problem.stops)))
    routes = []
    for van in problem.vans:
        route = _greedy_route(problem, van, left, distances, travel)
        route = _two_opt(problem, route, distances, travel)
        left -= set(route.stops)
        routes.append(route)
    return Plan(routes=routes, unassigned=sorted(left), solver="heuristic")


def _greedy_route(problem: Problem, van: Van, left: set[int], distances, travel) -> Route:
    route, node, clock, load = Route(), 0, 0, 0
    candidates = set(left)
    while candidates and len(route.stops) < van.max_stops:
        best = None
        for i in candidates:
            stop = problem.stops[i]
            if load + stop.units > van.capacity_units:
                continue
            arrival = max(clock + travel[node][i + 1], stop.window[0])
            if arrival > stop.window[1]:
                continue
            # nearest in time (waiting counts), distance to break ties
            key = (arrival - clock, distances[node][i + 1])
            if best is None or key < best[0]:
                best = (key, i, arrival)
        if best is None:
            break
        _, i, arrival = best
        candidates.discard(i)
        route.stops.append(i)
        route.arrivals.append(arrival)
        route.distance_m += distances[node][i + 1]
        node, clock, load = i + 1, arrival, load + problem.stops[i].units
    if route.stops:
        route.duration_s = _duration(problem, route, travel)
    return route


def _timed(problem: Problem, order: list[int], travel) -> list[int] | None:
    """Arrival times along `order`, or None when a window is missed or the day runs out."""
    clock, node, arrivals = 0, 0, []
    for i in order:
        stop = problem.stops[i]
        clock = max(clock + travel[node][i + 1], stop.window[0])
        if clock > stop.window[1] or clock > problem.horizon_s:
            return None
        arrivals.append(clock)
        node = i + 1
    return arrivals


def _length(order: list[int], distances) -> int:
    nodes = [0, *(i + 1 for i in order)]
    return sum(distances[a][b] for a, b in zip(nodes, nodes[1:], strict=False))


def _two_opt(problem: Problem, route: Route, distances, travel) -> Route:
    """Reverse segments while that shortens the route and keeps every window."""
    order, arrivals, best = list(route.stops), route.arrivals, _length(route.stops, distances)
    improved = True
    while improved:
        improved = False
        for i in range(len(order) - 1):
            for j in range(i + 1, len(order)):
                candidate = order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
                length = _length(candidate, distances)
                if length < best and (timed := _timed(problem, candidate, travel)) is not None:
                    order, arrivals, best, improved = candidate, timed, length, True
    if order == route.stops:
        return route
    result = Route(stops=order, arrivals=arrivals, distance_m=best)
    result.duration_s = _duration(problem, result, travel)
    return result
