"""The event loop of the agent-level simulation (``planning.simulation.agents``).

Everything here works on flat numpy arrays so that one loop serves two runners: compiled
with numba when it is installed (the default, ~100x faster) and plain Python otherwise
(the same code, for small cases and as the reference).  The caller
(``planning.simulation.agents``) draws every random number beforehand, so the loop itself
is deterministic: same arrays in, same starts out, whichever runner.

State, per queue x market pair p (items of a pair, in arrival order, are
``pair_items[pair_ptr[p]:pair_ptr[p + 1]]``):

* ``arrived[p]``: how many of its items have arrived;
* ``head[p]``: the first item not yet started, abandoned or moved to the late list; the
  waiting items that can still meet their due time are ``head[p] .. arrived[p] - 1``
  (one pair has one deadline, so arrival order is due order);
* a FIFO of items that can no longer meet their due time (``late``).

Per agent: on the floor or not, busy or not, the skill set he works now (a group's
certified pairs, or one pair when routing follows the plan's allocation), his severe
seconds and cap.  Idle agents on the floor wait in a pool per skill set.

Events, in time order (ties: completions, then floor changes, then arrivals):

* an arrival: if it is the only waiting item of its pair that can still meet its due
  time, it goes to an idle agent of a skill set that holds the pair (the set with the
  most idle agents; wellness permitting), else it waits;
* a completion: an agent still on the floor takes the next item by the routing rule
  (``_route``); one off the floor takes nothing;
* a floor change: an agent coming on takes work or joins his pool; one going off leaves
  his pool (a busy one finishes his item first).  The seconds he worked past going off
  are owed: his next time on the floor in the same shift starts that much later (a break
  that starts late ends late), so finishing items does not add capacity beyond the
  plan's shrinkage; only at the end of his shift is it overtime.
"""
from __future__ import annotations

import math

import numpy as np

try:  # numba is a requirement (requirements.txt); the fallback keeps the core importable
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only without numba
    HAVE_NUMBA = False

    def njit(*args, **kwargs):
        if args and callable(args[0]):
            return args[0]
        return lambda f: f


INF = math.inf


@njit(cache=True)
def _heap_push(heap_t, heap_a, size, t, a):
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if heap_t[parent] <= t:
            break
        heap_t[i] = heap_t[parent]
        heap_a[i] = heap_a[parent]
        i = parent
    heap_t[i] = t
    heap_a[i] = a
    return size + 1


@njit(cache=True)
def _heap_pop(heap_t, heap_a, size):
    """Remove the top; returns the new size (the caller read the top before)."""
    size -= 1
    t = heap_t[size]
    a = heap_a[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap_t[child + 1] < heap_t[child]:
            child += 1
        if heap_t[child] >= t:
            break
        heap_t[i] = heap_t[child]
        heap_a[i] = heap_a[child]
        i = child
    if size > 0:
        heap_t[i] = t
        heap_a[i] = a
    return size


@njit(cache=True)
def _advance(p, t, head, arrived, pair_ptr, pair_items, due, give_up, abandoned,
             late_buf, late_tail, late_last):
    """Move pair p's head past items abandoned at t, and (``late_last``) past items whose
    due time has passed, onto the pair's late list."""
    pos = head[p]
    end = pair_ptr[p] + arrived[p]
    while pos < end:
        item = pair_items[pos]
        if give_up[item] < t:
            abandoned[item] = True
        elif late_last and due[item] < t:
            late_buf[late_tail[p]] = item
            late_tail[p] += 1
        else:
            break
        pos += 1
    head[p] = pos


@njit(cache=True)
def _fits(a, item, p, pair_severe, severe_used, severe_cap, handle):
    return (not pair_severe[p]) or severe_used[a] + handle[item] <= severe_cap[a] + 1e-9


@njit(cache=True)
def _route(a, t, s, set_ptr, set_pairs, head, arrived, pair_ptr, pair_items, due, give_up,
           abandoned, late_buf, late_head, late_tail, pair_prio, pair_severe, severe_used,
           severe_cap, handle, late_last):
    """The item agent a (skill set s) takes at t, or -1; the item is removed from its queue.

    Earliest due time among the waiting items that can still meet it (queue priority
    breaks ties); if there is none, the late items, by queue priority, then oldest due.
    An item that would take a's severe seconds over his cap is passed over."""
    best_p = -1
    best_due = INF
    best_prio = 1 << 30
    for k in range(set_ptr[s], set_ptr[s + 1]):
        p = set_pairs[k]
        _advance(p, t, head, arrived, pair_ptr, pair_items, due, give_up, abandoned,
                 late_buf, late_tail, late_last)
        if head[p] < pair_ptr[p] + arrived[p]:
            item = pair_items[head[p]]
            d = due[item]
            if d < best_due or (d == best_due and pair_prio[p] < best_prio):
                if _fits(a, item, p, pair_severe, severe_used, severe_cap, handle):
                    best_p = p
                    best_due = d
                    best_prio = pair_prio[p]
    if best_p >= 0:
        item = pair_items[head[best_p]]
        head[best_p] += 1
        return item
    for k in range(set_ptr[s], set_ptr[s + 1]):
        p = set_pairs[k]
        while late_head[p] < late_tail[p] and give_up[late_buf[late_head[p]]] < t:
            abandoned[late_buf[late_head[p]]] = True
            late_head[p] += 1
        if late_head[p] < late_tail[p]:
            item = late_buf[late_head[p]]
            d = due[item]
            if pair_prio[p] < best_prio or (pair_prio[p] == best_prio and d < best_due):
                if _fits(a, item, p, pair_severe, severe_used, severe_cap, handle):
                    best_p = p
                    best_due = d
                    best_prio = pair_prio[p]
    if best_p >= 0:
        item = late_buf[late_head[best_p]]
        late_head[best_p] += 1
        return item
    return -1


@njit(cache=True)
def _pool_add(a, s, pool, pool_ptr, pool_size, pool_pos, pool_of):
    pos = pool_ptr[s] + pool_size[s]
    pool[pos] = a
    pool_pos[a] = pos
    pool_of[a] = s
    pool_size[s] += 1


@njit(cache=True)
def _pool_remove(a, pool, pool_ptr, pool_size, pool_pos, pool_of):
    s = pool_of[a]
    last = pool_ptr[s] + pool_size[s] - 1
    pos = pool_pos[a]
    moved = pool[last]
    pool[pos] = moved
    pool_pos[moved] = pos
    pool_size[s] -= 1
    pool_of[a] = -1


@njit(cache=True, nogil=True)  # nogil: replications run on threads (agents.simulate_agents)
def run_events(arr_t, item_pair, handle, give_up, due, pair_ptr, pair_items, pair_prio,
               pair_severe, set_ptr, set_pairs, pairset_ptr, pairset_sets, pool_ptr,
               severe_cap, fl_t, fl_agent, fl_set, t_end, late_last):
    """Simulate until ``t_end``.  Items sorted by arrival; floor events sorted by time
    (an ``off`` before an ``on`` at the same time); ``fl_set`` = -1 means off the floor.

    Returns ``start`` per item (inf: never started), ``abandoned`` per item, and per agent
    the severe seconds handled and the busy seconds."""
    n_items = arr_t.size
    n_pairs = pair_ptr.size - 1
    n_agents = severe_cap.size
    start = np.full(n_items, INF)
    abandoned = np.zeros(n_items, np.bool_)
    head = pair_ptr[:-1].copy()
    arrived = np.zeros(n_pairs, np.int64)
    late_buf = np.empty(pair_items.size, np.int64)
    late_head = pair_ptr[:-1].copy()
    late_tail = pair_ptr[:-1].copy()
    on_floor = np.zeros(n_agents, np.bool_)
    busy = np.zeros(n_agents, np.bool_)
    agent_set = np.full(n_agents, -1, np.int64)
    severe_used = np.zeros(n_agents)
    busy_seconds = np.zeros(n_agents)
    pool = np.empty(pool_ptr[-1], np.int64)
    pool_size = np.zeros(pool_ptr.size - 1, np.int64)
    pool_pos = np.full(n_agents, -1, np.int64)
    pool_of = np.full(n_agents, -1, np.int64)
    heap_t = np.empty(n_agents)
    heap_a = np.empty(n_agents, np.int64)
    off_at = np.zeros(n_agents)  # when the agent last went off the floor
    owed = np.zeros(n_agents)  # seconds worked past going off, owed to his next floor time
    heap_n = 0
    ai = 0
    fi = 0
    n_fl = fl_t.size
    while True:
        tc = heap_t[0] if heap_n > 0 else INF
        tf = fl_t[fi] if fi < n_fl else INF
        ta = arr_t[ai] if ai < n_items else INF
        if tc <= tf and tc <= ta:
            t = tc
            if t > t_end:
                break
            a = heap_a[0]
            heap_n = _heap_pop(heap_t, heap_a, heap_n)
            busy[a] = False
            if not on_floor[a]:
                owed[a] += t - off_at[a]
                continue
        elif tf <= ta:
            t = tf
            if t > t_end:
                break
            a = fl_agent[fi]
            s = fl_set[fi]
            fi += 1
            if s < 0:
                on_floor[a] = False
                off_at[a] = t
                if pool_of[a] >= 0:
                    _pool_remove(a, pool, pool_ptr, pool_size, pool_pos, pool_of)
                continue
            if busy[a] and not on_floor[a]:
                owed[a] += t - off_at[a]  # he worked his whole time off
                off_at[a] = t
            on_floor[a] = True
            agent_set[a] = s
            if busy[a]:
                continue
        else:
            t = ta
            if t > t_end:
                break
            item = ai
            ai += 1
            p = item_pair[item]
            arrived[p] += 1
            _advance(p, t, head, arrived, pair_ptr, pair_items, due, give_up, abandoned,
                     late_buf, late_tail, late_last)
            if head[p] != pair_ptr[p] + arrived[p] - 1:
                continue  # others of its pair wait before it
            chosen = -1
            best_n = 0
            for k in range(pairset_ptr[p], pairset_ptr[p + 1]):
                s = pairset_sets[k]
                if pool_size[s] <= best_n:
                    continue
                for pos in range(pool_ptr[s] + pool_size[s] - 1, pool_ptr[s] - 1, -1):
                    a = pool[pos]
                    if _fits(a, item, p, pair_severe, severe_used, severe_cap, handle):
                        chosen = a
                        best_n = pool_size[s]
                        break
            if chosen < 0:
                continue
            a = chosen
            _pool_remove(a, pool, pool_ptr, pool_size, pool_pos, pool_of)
            head[p] += 1
            start[item] = t
            busy[a] = True
            busy_seconds[a] += handle[item]
            if pair_severe[p]:
                severe_used[a] += handle[item]
            heap_n = _heap_push(heap_t, heap_a, heap_n, t + handle[item], a)
            continue
        # agent a is free on the floor at t: first the time he owes, then the next item
        if owed[a] > 0.0:
            # he went off late (finishing an item): his time off ends late too
            busy[a] = True
            heap_n = _heap_push(heap_t, heap_a, heap_n, t + owed[a], a)
            owed[a] = 0.0
            continue
        item = _route(a, t, agent_set[a], set_ptr, set_pairs, head, arrived, pair_ptr,
                      pair_items, due, give_up, abandoned, late_buf, late_head, late_tail,
                      pair_prio, pair_severe, severe_used, severe_cap, handle, late_last)
        if item >= 0:
            start[item] = t
            busy[a] = True
            busy_seconds[a] += handle[item]
            if pair_severe[item_pair[item]]:
                severe_used[a] += handle[item]
            heap_n = _heap_push(heap_t, heap_a, heap_n, t + handle[item], a)
        else:
            _pool_add(a, agent_set[a], pool, pool_ptr, pool_size, pool_pos, pool_of)
    return start, abandoned, severe_used, busy_seconds
