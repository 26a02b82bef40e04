import { startScimTestServer } from '../src/scim/testing/scim-test-server.js';
const s = await startScimTestServer({ token: 't' });
const call = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(s.baseUrl + path, { method, headers: { authorization: 'Bearer t', 'content-type': 'application/scim+json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  console.log(method, path, r.status, text.slice(0, 400));
  return text ? JSON.parse(text) : undefined;
};
const u = await call('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'agent-x', active: true });
await call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `g`, members: [{ value: u.id }] });
const f = encodeURIComponent(`members.value eq "${u.id}"`);
await call('GET', `/Groups?filter=${f}&attributes=id`);
await call('GET', `/Groups?filter=${f}&excludedAttributes=members`);
await call('GET', `/Groups?filter=${f}&attributes=displayName&startIndex=1&count=10`);
await call('GET', `/Users/${u.id}?attributes=active`);
await s.close();
