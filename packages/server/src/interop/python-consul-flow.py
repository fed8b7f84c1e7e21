"""Drives Debian's python-consul 0.7.1 (package python3-consul) against roster serve.

Run by python-consul.e2e.test.ts with the system Python:

    /usr/bin/python3 python-consul-flow.py <scenario> <port> <check-url>

Every step calls the client's own methods and records what they return (or which exception
they raise) under the step's name; the whole record is printed as one JSON object on stdout.
The TypeScript test asserts on it, so every compatibility detail is a test assertion, not a log
line. Scenarios: `flow` (the full flow), `strict` (a server with strict methods), `acl` (a
server with default-deny ACLs and the token `tkn` allowed to write).
"""

import json
import sys
import threading
import time

import consul

SCENARIO, PORT, CHECK_URL = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = {'client': consul.__version__}


def step(name, fn):
    """Records fn()'s result, or the exception class and message it raised."""
    try:
        out[name] = {'ok': fn()}
    except Exception as e:  # noqa: BLE001 - the test wants to see any failure
        out[name] = {'error': type(e).__name__, 'message': str(e)}


def statuses(checks):
    return {c['CheckID']: c['Status'] for c in checks}


def entries(nodes):
    return [
        {'id': n['Service']['ID'], 'port': n['Service']['Port'], 'tags': n['Service']['Tags'], 'checks': statuses(n['Checks'])}
        for n in nodes
    ]


def flow():
    c = consul.Consul(host='127.0.0.1', port=PORT, token='tkn')
    step('self_datacenter', lambda: c.agent.self()['Config']['Datacenter'])
    step('leader', c.status.leader)
    step('peers', c.status.peers)

    # Registrations with the client's check helpers (lowercase keys, no Content-Type, ?token=).
    step('register_http', lambda: c.agent.service.register(
        'web', service_id='web-1', address='127.0.0.1', port=int(CHECK_URL.split(':')[2].split('/')[0]),
        tags=['v1', 'py'], check=consul.Check.http(CHECK_URL, '1s', timeout='1s', deregister='1m'),
        enable_tag_override=True))
    step('register_ttl', lambda: c.agent.service.register(
        'worker', service_id='worker-1', address='127.0.0.1', port=9001, check=consul.Check.ttl('10s')))
    step('register_tcp', lambda: c.agent.service.register(
        'db', service_id='db-1', port=5432, check=consul.Check.tcp('127.0.0.1', 1, '5s', timeout='1s')))
    step('services', lambda: {
        k: {'Service': v['Service'], 'Tags': v['Tags'], 'Port': v['Port'], 'EnableTagOverride': v['EnableTagOverride']}
        for k, v in c.agent.services().items()})
    step('checks_registered', lambda: {k: [v['Status'], v['Type'], v['Definition']] for k, v in c.agent.checks().items()})

    # TTL check: critical until the service reports; ttl_pass/warn/fail send GET.
    step('worker_passing_before', lambda: c.health.service('worker', passing=True)[1])
    step('ttl_pass', lambda: c.agent.check.ttl_pass('service:worker-1', 'all good'))
    step('worker_passing_after', lambda: entries(c.health.service('worker', passing=True)[1]))
    step('worker_output', lambda: c.agent.checks()['service:worker-1']['Output'])
    step('ttl_warn', lambda: c.agent.check.ttl_warn('service:worker-1', 'slow'))
    step('worker_passing_when_warning', lambda: c.health.service('worker', passing=True)[1])
    step('worker_all_when_warning', lambda: entries(c.health.service('worker')[1]))
    step('ttl_fail', lambda: c.agent.check.ttl_fail('service:worker-1'))
    step('worker_state_critical', lambda: [x['CheckID'] for x in c.health.state('critical')[1]])
    step('ttl_pass_again', lambda: c.agent.check.ttl_pass('service:worker-1'))

    # HTTP check run by the server: blocks on health.service(index, wait) until it passes.
    def wait_http_passing():
        t0 = time.time()
        index, nodes = c.health.service('web', passing=True)
        while not nodes and time.time() - t0 < 15:
            index, nodes = c.health.service('web', index=index, wait='5s', passing=True)
        return {'entries': entries(nodes), 'seconds': round(time.time() - t0, 3)}
    step('http_passing', wait_http_passing)
    step('tag_filter', lambda: [n['Service']['ID'] for n in c.health.service('web', tag='py')[1]])
    step('catalog_service', lambda: [[s['ServiceID'], s['ServicePort'], s['ServiceTags']] for s in c.catalog.service('web', tag='v1')[1]])
    step('health_checks', lambda: statuses(c.health.checks('worker')[1]))

    # A standalone check attached to a service (keys name, ttl, id, notes, serviceid), removed with GET.
    step('check_register', lambda: c.agent.check.register('disk', consul.Check.ttl('30s'), check_id='disk-1', notes='disk space', service_id='worker-1'))
    step('check_registered', lambda: {k: c.agent.checks()['disk-1'][k] for k in ('Name', 'ServiceID', 'Notes', 'Status', 'Type')})
    step('check_deregister', lambda: c.agent.check.deregister('disk-1'))
    step('check_gone', lambda: 'disk-1' in c.agent.checks())

    # Blocking catalog.services: a registration made meanwhile wakes it.
    index0, services0 = c.catalog.services()
    out['catalog_services'] = {'index': index0, 'services': services0}
    woken = {}

    def block():
        t0 = time.time()
        index, services = c.catalog.services(index=index0, wait='20s')
        woken.update({'index': index, 'services': services, 'seconds': time.time() - t0})

    waiter = threading.Thread(target=block)
    waiter.start()
    time.sleep(0.5)
    step('register_late', lambda: c.agent.service.register('late', port=7000))
    waiter.join(30)
    out['catalog_woken'] = woken
    # No change: the wait runs out and the same index comes back.
    t0 = time.time()
    same_index, _ = c.catalog.services(index=woken.get('index'), wait='1s')
    out['catalog_timeout'] = {'index': same_index, 'seconds': time.time() - t0}

    # Node views and maintenance (enable is sent as Python's True / False).
    step('catalog_nodes', lambda: [n['Node'] for n in c.catalog.nodes()[1]])
    node = c.agent.self()['Config']['NodeName']
    step('catalog_node', lambda: sorted(c.catalog.node(node)[1]['Services'].keys()))
    step('health_node', lambda: sorted(x['CheckID'] for x in c.health.node(node)[1]))
    step('maintenance_on', lambda: c.agent.service.maintenance('worker-1', True, 'upgrade'))
    step('worker_in_maintenance', lambda: [entries(c.health.service('worker', passing=True)[1]), statuses(c.health.service('worker')[1][0]['Checks'])])
    step('maintenance_off', lambda: c.agent.service.maintenance('worker-1', False))
    step('worker_after_maintenance', lambda: [n['Service']['ID'] for n in c.health.service('worker', passing=True)[1]])
    step('node_maintenance_on', lambda: c.agent.maintenance('true', 'node work'))
    step('passing_in_node_maintenance', lambda: c.health.service('worker', passing=True)[1])
    step('node_maintenance_off', lambda: c.agent.maintenance('false'))
    step('members', lambda: [[m['Name'], m['Status']] for m in c.agent.members()])
    step('datacenters', c.catalog.datacenters)

    # Catalog writes on this node (lowercase keys plus a WriteRequest object).
    step('catalog_register', lambda: c.catalog.register(node, '127.0.0.1', service={'service': 'ext', 'id': 'ext-1', 'port': 80}, check={'checkid': 'ext-check', 'name': 'ext', 'status': 'passing', 'serviceid': 'ext-1'}))
    step('ext_passing', lambda: entries(c.health.service('ext', passing=True)[1]))
    step('catalog_deregister', lambda: c.catalog.deregister(node, service_id='ext-1'))
    step('catalog_register_other_node', lambda: c.catalog.register('elsewhere', '10.0.0.9', service={'service': 'ext', 'port': 80}))

    # IDs the client sends with its own quoting: slash raw, space and unicode percent-encoded.
    step('register_odd', lambda: c.agent.service.register('odd', service_id='odd 1/x', port=1))
    step('register_unicode', lambda: c.agent.service.register('odd', service_id='wéb-ü', port=2))
    step('odd_ids', lambda: sorted(k for k in c.agent.services() if k != 'odd'))
    step('deregister_odd', lambda: c.agent.service.deregister('odd 1/x'))
    step('deregister_unicode', lambda: c.agent.service.deregister('wéb-ü'))
    step('odd_after', lambda: [k for k in c.agent.services() if k in ('odd 1/x', 'wéb-ü')])

    # Errors as the client reports them.
    step('deregister_unknown', lambda: c.agent.service.deregister('nope'))
    step('ttl_pass_unknown', lambda: c.agent.check.ttl_pass('nope'))
    step('ttl_pass_http_check', lambda: c.agent.check.ttl_pass('service:web-1'))
    step('register_bad_address', lambda: c.agent.service.register('web', address='0.0.0.0'))
    step('register_bad_name', lambda: c.agent.service.register('we b'))
    step('register_script_check', lambda: c.agent.service.register('web', service_id='web-9', check=consul.Check.script('/bin/true', '10s')))
    step('health_unknown_service', lambda: c.health.service('nothing-here'))

    # Deregistration: GET on the legacy path.
    for sid in ('web-1', 'worker-1', 'db-1', 'late'):
        step('deregister_' + sid, lambda sid=sid: c.agent.service.deregister(sid))
    step('services_after', c.agent.services)
    step('catalog_after', lambda: c.catalog.services()[1])

    # `requests` (urllib3) removes dot segments from the path before sending: the deregistration
    # of 'dots/../b' goes out as .../deregister/b. roster takes the path as it arrives.
    step('register_dots', lambda: c.agent.service.register('odd', service_id='dots/../b', port=3))
    step('deregister_dots', lambda: c.agent.service.deregister('dots/../b'))
    step('dots_after', lambda: sorted(c.agent.services()))


def strict():
    """Against --strict-methods: python-consul's GET writes get 405, which it reports as False."""
    c = consul.Consul(host='127.0.0.1', port=PORT)
    step('register_ttl', lambda: c.agent.service.register('worker', service_id='worker-1', port=9001, check=consul.Check.ttl('10s')))
    step('ttl_pass', lambda: c.agent.check.ttl_pass('service:worker-1'))
    step('deregister', lambda: c.agent.service.deregister('worker-1'))
    step('services', lambda: sorted(c.agent.services()))
    step('checks', lambda: statuses(c.agent.checks().values()))


def acl():
    """Default-deny ACLs: the client's ?token= authorizes; it sends no token on some calls."""
    c = consul.Consul(host='127.0.0.1', port=PORT, token='tkn')
    anonymous = consul.Consul(host='127.0.0.1', port=PORT)
    wrong = consul.Consul(host='127.0.0.1', port=PORT, token='wrong')
    step('register_with_token', lambda: c.agent.service.register('web', service_id='web-1', port=80, check=consul.Check.ttl('10s')))
    step('register_anonymous', lambda: anonymous.agent.service.register('web', service_id='web-2', port=81))
    step('register_wrong_token', lambda: wrong.agent.service.register('web', service_id='web-3', port=82))
    step('catalog_with_token', lambda: c.catalog.services()[1])
    step('catalog_anonymous', lambda: anonymous.catalog.services()[1])
    step('health_with_token', lambda: [n['Service']['ID'] for n in c.health.service('web')[1]])
    # python-consul 0.7.1 sends no token on agent.services(), TTL updates and deregister.
    step('agent_services', lambda: sorted(c.agent.services()))
    step('ttl_pass', lambda: c.agent.check.ttl_pass('service:web-1'))
    step('deregister', lambda: c.agent.service.deregister('web-1'))


{'flow': flow, 'strict': strict, 'acl': acl}[SCENARIO]()
print(json.dumps(out))
