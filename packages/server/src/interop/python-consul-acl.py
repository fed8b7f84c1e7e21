"""Drives Debian's python-consul 0.7.1 against roster serve with default-deny ACLs, as one identity.

Run by acl-clients.e2e.test.ts with the system Python:

    ROSTER_TEST_TOKEN=<secret or empty> /usr/bin/python3 python-consul-acl.py <who> <port> [<ca> <cert> <key>]

The token comes from the environment, never from the command line. With the three file paths,
the client speaks https with that CA and client certificate (mutual TLS). Every step calls the
client's own methods and records what they return, or which exception they raise, under the
step's name; the record is printed as one JSON object. The TypeScript test asserts on it.
"""

import json
import os
import sys

import consul

WHO, PORT = sys.argv[1], int(sys.argv[2])
TOKEN = os.environ.get('ROSTER_TEST_TOKEN') or None
tls = {}
if len(sys.argv) > 5:
    tls = {'scheme': 'https', 'verify': sys.argv[3], 'cert': (sys.argv[4], sys.argv[5])}
c = consul.Consul(host='127.0.0.1', port=PORT, token=TOKEN, **tls)
out = {}


def step(name, fn):
    """Records fn()'s result, or the exception class and message it raised."""
    try:
        out[name] = {'ok': fn()}
    except Exception as e:  # noqa: BLE001 - the test wants to see any failure
        out[name] = {'error': type(e).__name__, 'message': str(e)}


def ids(nodes):
    return sorted(n['Service']['ID'] for n in nodes)


step('register_orders', lambda: c.agent.service.register('orders', service_id='orders-' + WHO, port=80, tags=['v1'], token=TOKEN))
step('register_billing', lambda: c.agent.service.register('billing', service_id='billing-' + WHO, port=81, token=TOKEN))
step('catalog_services', lambda: sorted(c.catalog.services()[1]))
step('catalog_service_orders_v2', lambda: sorted(s['ServiceID'] for s in c.catalog.service('orders-v2')[1]))
step('health_orders', lambda: ids(c.health.service('orders')[1]))
step('health_orders_tag_v1', lambda: ids(c.health.service('orders', tag='v1')[1]))
step('health_orders_passing', lambda: ids(c.health.service('orders', passing=True)[1]))
step('health_billing', lambda: ids(c.health.service('billing')[1]))
# catalog.deregister takes the token; it needs node:write as well as service:write (Consul's rule).
step('catalog_deregister_orders_1', lambda: c.catalog.deregister('node-a', service_id='orders-1', token=TOKEN))
print(json.dumps(out))
