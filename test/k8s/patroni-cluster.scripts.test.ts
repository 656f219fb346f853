/**
 * The two scripts PatroniCluster ships in its ConfigMap, run with the real python3 against stub
 * servers: the preStop switchover hook (Patroni's REST API) and the role-label callback (the
 * Kubernetes API over TLS with a bearer token).
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { renderRoleLabelCallback, renderSwitchoverPreStop } from '../../lib/render/patroni-scripts';

const PYTHON = spawnSync('python3', ['--version']).status === 0;
const OPENSSL = spawnSync('openssl', ['version']).status === 0;
const maybe = PYTHON ? describe : describe.skip;

interface Call { method: string; url: string; body: string; headers: http.IncomingHttpHeaders }

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patroni-script-'));
  const file = path.join(dir, 'script.py');
  fs.writeFileSync(file, script);
  return new Promise(resolve => {
    const child = spawn('python3', [file, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stderr = '';
    child.stderr.on('data', d => { stderr += String(d); });
    child.on('close', code => {
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code, stderr });
    });
  });
}

/** A stub of Patroni's REST API: leader until a switchover, then a replica after `lagPolls` more polls. */
function patroniStub(leader: boolean, switchoverStatus = 200, lagPolls = 2) {
  const calls: Call[] = [];
  let primary = leader;
  let pollsAfterSwitchover = -1;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', d => { body += String(d); });
    req.on('end', () => {
      calls.push({ method: req.method!, url: req.url!, body, headers: req.headers });
      if (req.method === 'POST' && req.url === '/switchover') {
        if (switchoverStatus === 200) pollsAfterSwitchover = 0;
        res.writeHead(switchoverStatus).end(switchoverStatus === 200 ? 'Successfully switched over' : 'no candidate');
        return;
      }
      if (pollsAfterSwitchover >= 0 && ++pollsAfterSwitchover > lagPolls) primary = false;
      res.writeHead(req.url === '/primary' && primary ? 200 : 503).end();
    });
  });
  return { server, calls };
}

maybe('preStop switchover hook (python3 against a stub of Patroni\'s REST API)', () => {
  test('the leader asks for a switchover naming itself and waits until it is no longer primary', async () => {
    const { server, calls } = patroniStub(true);
    const port = await listen(server);
    try {
      const result = await run(renderSwitchoverPreStop({ restApiPort: port, waitSeconds: 20 }), [], { PATRONI_NAME: 'orders-db-1' });
      expect(result).toEqual({ code: 0, stderr: '' });
      const post = calls.filter(c => c.method === 'POST');
      expect(post).toHaveLength(1);
      expect(post[0].url).toBe('/switchover');
      expect(post[0].headers.authorization).toBeUndefined();
      expect(JSON.parse(post[0].body)).toEqual({ leader: 'orders-db-1' });
      const after = calls.slice(calls.indexOf(post[0]) + 1);
      // It polled /primary after the switchover until the answer was no longer 200.
      expect(after.length).toBeGreaterThanOrEqual(3);
      expect(after.every(c => c.method === 'GET' && c.url === '/primary')).toBe(true);
    } finally {
      server.close();
    }
  });

  test('with REST API credentials in the environment the POST authenticates (basic auth)', async () => {
    const { server, calls } = patroniStub(true);
    const port = await listen(server);
    try {
      const result = await run(renderSwitchoverPreStop({ restApiPort: port, waitSeconds: 20 }), [], {
        PATRONI_NAME: 'orders-db-1', PATRONI_RESTAPI_USERNAME: 'patroni', PATRONI_RESTAPI_PASSWORD: 's3cret',
      });
      expect(result.code).toBe(0);
      const post = calls.find(c => c.method === 'POST')!;
      expect(post.headers.authorization).toBe(`Basic ${Buffer.from('patroni:s3cret').toString('base64')}`);
      expect(calls.filter(c => c.method === 'GET').every(c => c.headers.authorization === undefined)).toBe(true);
    } finally {
      server.close();
    }
  });

  test('a replica stops at once, without asking for anything', async () => {
    const { server, calls } = patroniStub(false);
    const port = await listen(server);
    try {
      expect(await run(renderSwitchoverPreStop({ restApiPort: port }), [], { PATRONI_NAME: 'orders-db-2' })).toEqual({ code: 0, stderr: '' });
      expect(calls.map(c => `${c.method} ${c.url}`)).toEqual(['GET /primary']);
    } finally {
      server.close();
    }
  });

  test('a refused switchover is logged and the wait is bounded, so the Pod still stops', async () => {
    const { server, calls } = patroniStub(true, 412);
    const port = await listen(server);
    try {
      const result = await run(renderSwitchoverPreStop({ restApiPort: port, waitSeconds: 2 }), [], { PATRONI_NAME: 'orders-db-0' });
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('switchover failed: HTTP Error 412');
      expect(calls.filter(c => c.method === 'POST')).toHaveLength(1);
    } finally {
      server.close();
    }
  });

  test('no Patroni answering (already dead) is a replica: stop at once', async () => {
    const { server } = patroniStub(false);
    const port = await listen(server);
    server.close();
    expect((await run(renderSwitchoverPreStop({ restApiPort: port }), [], { PATRONI_NAME: 'orders-db-0' })).code).toBe(0);
  });
});

(PYTHON && OPENSSL ? describe : describe.skip)('role-label callback (python3 against a TLS stub of the Kubernetes API)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patroni-sa-'));
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'ca.crt')]);
  fs.writeFileSync(path.join(dir, 'token'), 'test-token\n');
  fs.writeFileSync(path.join(dir, 'namespace'), 'orders');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function label(action: string, role: string): Promise<{ calls: Call[]; code: number | null }> {
    expect(gen.status).toBe(0);
    const calls: Call[] = [];
    const server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'ca.crt')) }, (req, res) => {
      let body = '';
      req.on('data', d => { body += String(d); });
      req.on('end', () => {
        calls.push({ method: req.method!, url: req.url!, body, headers: req.headers });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    const port = await listen(server);
    try {
      const script = renderRoleLabelCallback({ roleLabel: 'role', serviceAccountDir: dir });
      const result = await run(script, [action, role, 'orders-db'], {
        PATRONI_NAME: 'orders-db-1', KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port),
      });
      return { calls, code: result.code };
    } finally {
      server.close();
    }
  }

  test.each([
    ['on_role_change', 'master', 'master'],
    ['on_role_change', 'primary', 'master'],
    ['on_start', 'replica', 'replica'],
    ['on_stop', 'master', 'stopped'],
  ])('%s %s labels the Pod role=%s with a merge patch and the token', async (action, role, value) => {
    const { calls, code } = await label(action, role);
    expect(code).toBe(0);
    expect(calls).toHaveLength(1);
    expect(calls[0].method).toBe('PATCH');
    expect(calls[0].url).toBe('/api/v1/namespaces/orders/pods/orders-db-1');
    expect(calls[0].headers.authorization).toBe('Bearer test-token');
    expect(calls[0].headers['content-type']).toBe('application/merge-patch+json');
    expect(JSON.parse(calls[0].body)).toEqual({ metadata: { labels: { role: value } } });
  });
});

test('bad script inputs are refused', () => {
  expect(() => renderSwitchoverPreStop({ restApiPort: 0 })).toThrow('must be a port and a positive number of seconds');
  expect(() => renderRoleLabelCallback({ roleLabel: 'bad label' })).toThrow('is not a label key or value');
  expect(() => renderRoleLabelCallback({ roleLabel: 'role', serviceAccountDir: 'relative' })).toThrow('is not an absolute path');
});
