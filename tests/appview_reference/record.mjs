// Replays tests/fixtures/appview/scenario.json against the official stack (@atproto/dev-env:
// PLC + PDS + AppView) and writes the AppView's normalised answers, as a client sees them
// through the PDS, to tests/fixtures/appview/official.json. Heavy: run by hand
// (`npm run record`), never by the test suite. See README.md.
import dns from 'node:dns'
import net from 'node:net'
import os from 'node:os'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Normaliser } from './normalise.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const FIXTURES = join(HERE, '..', 'fixtures', 'appview')
const HOST = '127.0.0.1'

/** Makes every server that listens without naming a host listen on 127.0.0.1 only. */
function bindLoopbackOnly() {
  const listen = net.Server.prototype.listen
  net.Server.prototype.listen = function (...args) {
    const [first, second] = args
    if (args.length === 0 || typeof first === 'function') {
      args.unshift(0, HOST)
    } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
      if (typeof second !== 'string') args.splice(1, 0, HOST)
    } else if (first && typeof first === 'object' && first.path === undefined && first.host === undefined) {
      args[0] = { ...first, host: HOST }
    }
    return listen.apply(this, args)
  }
}

/** The TCP sockets this process listens on, as `address:port` (IPv4 or IPv6, from /proc). */
function ownListeners() {
  const inodes = new Set()
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`).match(/^socket:\[(\d+)\]$/)
      if (target) inodes.add(target[1])
    } catch {
      // the fd closed while listing
    }
  }
  const out = []
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]]) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9])) continue
      const [hex, port] = cols[1].split(':')
      const address = v6 ? (hex === '00000000000000000000000001000000' ? '::1' : hex === '0'.repeat(32) ? '::' : hex) :
        hex.match(/../g).reverse().map((b) => parseInt(b, 16)).join('.')
      out.push(`${address}:${parseInt(port, 16)}`)
    }
  }
  return out
}

/** The fixture files of a scenario: `scenario.json` / `official.json`, or, for a named one,
 * `<name>.scenario.json` / `<name>.official.json` (all in the fixture folder). */
function scenarioFiles(name) {
  return name
    ? { scenario: `${name}.scenario.json`, official: `${name}.official.json` }
    : { scenario: 'scenario.json', official: 'official.json' }
}

/** The command-line options: `--scenario NAME` (default: the unnamed one) and `--out FILE`
 * (default: the scenario's official file in the fixture folder). */
function options(argv) {
  const out = { scenario: '', out: null }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out.out = argv[++i]
    else if (argv[i] === '--scenario') out.scenario = argv[++i]
    else throw new Error(`unknown option ${argv[i]}`)
  }
  out.files = scenarioFiles(out.scenario)
  out.out ??= join(FIXTURES, out.files.official)
  return out
}

/** The installed version of a package, read from its package.json. */
function version(name) {
  for (const base of [HERE, join(HERE, 'node_modules', '@atproto', 'dev-env')]) {
    try {
      return JSON.parse(readFileSync(join(base, 'node_modules', name, 'package.json'), 'utf8')).version
    } catch {
      // not installed at this level; try the next one
    }
  }
  return null
}

/** Every datetime literal in the scenario (kept as is by the normaliser). */
function literalTimes(value, into) {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) into.push(Date.parse(value))
  else if (Array.isArray(value)) value.forEach((v) => literalTimes(v, into))
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => literalTimes(v, into))
  return into
}

/** The state of one replay: who is who, what was created under which name. */
class Replay {
  constructor(scenario, network, AtpAgent) {
    this.scenario = scenario
    this.network = network
    this.AtpAgent = AtpAgent
    this.agents = new Map()
    this.dids = new Map()
    this.records = new Map()
    this.blobs = new Map()
    this.start = Date.parse(scenario.clock.start)
    this.stepMs = scenario.clock.stepSeconds * 1000
    const times = scenario.steps.map((_, i) => this.start + i * this.stepMs)
    this.normaliser = new Normaliser([...times, ...literalTimes(scenario, [])])
    this.results = []
    this.cursors = new Map()
  }

  /** The scenario clock at step `index` (what `$now` means there). */
  now(index) {
    return new Date(this.start + index * this.stepMs).toISOString()
  }

  /** Resolves the scenario's symbolic values (`@name`, `#record`, `$now`, `$ref`, `$blob`). */
  resolve(value, index) {
    if (typeof value === 'string') {
      if (value === '$now') return this.now(index)
      const did = value.match(/^@([a-z0-9_-]+)$/)
      if (did && this.dids.has(did[1])) return this.dids.get(did[1])
      const rec = value.match(/^#([a-z0-9_]+)$/)
      if (rec && this.records.has(rec[1])) return this.records.get(rec[1]).uri
      return value
    }
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, index))
    if (value && typeof value === 'object') {
      if (typeof value.$ref === 'string') {
        const { uri, cid } = this.record(value.$ref)
        return { uri, cid }
      }
      if (typeof value.$cursorOf === 'string') {
        const cursor = this.cursors.get(value.$cursorOf)
        if (cursor === undefined) throw new Error(`no cursor in the answer to ${value.$cursorOf}`)
        return cursor
      }
      if (typeof value.$blob === 'string') {
        const blob = this.blobs.get(value.$blob)
        if (!blob) throw new Error(`unknown blob ${value.$blob}`)
        return blob
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v, index)]))
    }
    return value
  }

  /** A created record by name. */
  record(name) {
    const rec = this.records.get(name)
    if (!rec) throw new Error(`unknown record ${name}`)
    return rec
  }

  /** The signed-in agent of an account. */
  agent(name) {
    const agent = this.agents.get(name)
    if (!agent) throw new Error(`unknown account ${name}`)
    return agent
  }

  /** Creates the scenario's accounts and names every account the PDS hosts. */
  async createAccounts() {
    for (const account of this.scenario.accounts) {
      const agent = new this.AtpAgent({ service: this.network.pds.url })
      await agent.createAccount({ handle: account.handle, email: account.email, password: account.password })
      this.agents.set(account.name, agent)
      this.dids.set(account.name, agent.session.did)
      this.normaliser.addDid(agent.session.did, account.name)
    }
    await this.network.processAll()
    const anon = new this.AtpAgent({ service: this.network.pds.url })
    const { data } = await anon.com.atproto.sync.listRepos({ limit: 1000 })
    for (const repo of data.repos) {
      if (this.normaliser.didNames.has(repo.did)) continue
      const { data: described } = await anon.com.atproto.repo.describeRepo({ repo: repo.did })
      this.normaliser.addDid(repo.did, described.handle.replace(/\.test$/, ''))
    }
    this.normaliser.addDid(this.network.bsky.ctx.cfg.serverDid, 'appview')
    this.normaliser.addDid(this.network.pds.ctx.cfg.service.did, 'pds')
  }

  /** Remembers a written record version under its scenario name. */
  named(name, uri, cid) {
    const previous = this.records.get(name)
    const version = previous ? previous.version + 1 : 1
    this.records.set(name, { uri, cid, version })
    this.normaliser.addRecord(uri, name)
    this.normaliser.addCid(cid, version === 1 ? name : `${name}@${version}`)
  }

  /** Sends one XRPC call through the PDS, as a client would, and records the answer. */
  async xrpc(step, index, method) {
    const headers = {}
    for (const [key, value] of Object.entries(step.headers ?? {})) {
      // header values are lists (e.g. atproto-accept-labelers): `@name` items become DIDs
      headers[key] = value.replace(/@([a-z0-9_-]+)/g, (m, name) => this.dids.get(name) ?? m)
    }
    const who = step.viewer !== undefined ? step.viewer : step.actor
    if (who) headers.authorization = `Bearer ${this.agent(who).session.accessJwt}`
    let url = `${this.network.pds.url}/xrpc/${step.nsid}`
    const init = { method, headers }
    if (method === 'GET') {
      const query = new URLSearchParams()
      for (const [key, value] of Object.entries(this.resolve(step.params ?? {}, index))) {
        for (const item of Array.isArray(value) ? value : [value]) query.append(key, String(item))
      }
      if ([...query].length) url += `?${query}`
    } else {
      headers['content-type'] = 'application/json'
      init.body = JSON.stringify(this.resolve(step.input ?? {}, index))
    }
    const res = await fetch(url, init)
    const text = await res.text()
    let body = null
    if (text.length) {
      try {
        body = JSON.parse(text)
      } catch {
        body = { nonJsonBody: text }
      }
    }
    const entry = { id: step.id, step: index, kind: method === 'GET' ? 'query' : 'procedure', viewer: who ?? null, nsid: step.nsid }
    if (method === 'GET') entry.params = step.params ?? {}
    else entry.input = step.input ?? {}
    if (step.headers) entry.requestHeaders = step.headers
    entry.status = res.status
    entry.headers = this.normaliser.headers(res.headers)
    entry.body = body === null ? null : this.normaliser.body(body)
    if (typeof body?.cursor === 'string') this.cursors.set(step.id, body.cursor)
    this.results.push(entry)
    return res.status
  }

  /** Runs one scenario step; write steps wait until the AppView has indexed them. */
  async run(step, index) {
    const repo = step.actor ? this.dids.get(step.actor) : undefined
    switch (step.op) {
      case 'uploadBlob': {
        const bytes = readFileSync(join(FIXTURES, step.file))
        const { data } = await this.agent(step.actor).com.atproto.repo.uploadBlob(bytes, { encoding: step.mimeType })
        const cid = data.blob.ref.toString()
        this.blobs.set(step.as, { $type: 'blob', ref: { $link: cid }, mimeType: data.blob.mimeType, size: data.blob.size })
        this.normaliser.addCid(cid, step.as)
        return
      }
      case 'createRecord':
      case 'putRecord': {
        const input = { repo, collection: step.collection, record: this.resolve(step.record, index) }
        if (step.rkey) input.rkey = step.rkey
        const api = this.agent(step.actor).com.atproto.repo
        const { data } = step.op === 'createRecord' ? await api.createRecord(input) : await api.putRecord(input)
        this.named(step.as, data.uri, data.cid)
        break
      }
      case 'deleteRecord': {
        const uri = this.resolve(step.ref, index)
        const [, , collection, rkey] = uri.match(/^at:\/\/([^/]+)\/([^/]+)\/([^/]+)$/)
        await this.agent(step.actor).com.atproto.repo.deleteRecord({ repo, collection, rkey })
        break
      }
      case 'procedure': {
        const status = await this.xrpc(step, index, 'POST')
        if (status !== 200) console.warn(`note: ${step.id}: ${step.nsid} answered ${status} (recorded)`)
        break
      }
      case 'query':
        await this.xrpc(step, index, 'GET')
        return
      default:
        throw new Error(`unknown op ${step.op}`)
    }
    await this.network.processAll()
  }
}

async function main() {
  const opts = options(process.argv.slice(2))
  const began = Date.now()
  dns.setDefaultResultOrder('ipv4first')
  bindLoopbackOnly()
  const tmp = mkdtempSync(join(os.tmpdir(), 'appview-reference-'))
  process.env.TMPDIR = tmp
  process.env.REDIS_HOST ??= '127.0.0.1:6379'
  const db = `appview_reference_${process.pid}`
  const pg = ['-h', HOST, '-U', 'postgres']
  execFileSync('createdb', [...pg, db])
  let network
  try {
    const { TestNetwork } = await import('@atproto/dev-env')
    const { AtpAgent } = await import('@atproto/api')
    network = await TestNetwork.create({
      dbPostgresUrl: `postgresql://postgres@${HOST}:5432/${db}`,
      dbPostgresSchema: 'reference',
    })
    const listeners = ownListeners()
    const exposed = listeners.filter((l) => !l.startsWith('127.') && !l.startsWith('::1:'))
    console.log(`listening on ${listeners.join(' ')}`)
    if (exposed.length) throw new Error(`servers listen beyond loopback: ${exposed.join(' ')}`)
    const scenarioBytes = readFileSync(join(FIXTURES, opts.files.scenario))
    const scenario = JSON.parse(scenarioBytes.toString('utf8'))
    const replay = new Replay(scenario, network, AtpAgent)
    await replay.createAccounts()
    for (const [index, step] of scenario.steps.entries()) await replay.run(step, index)
    const output = {
      description: `Answers of the official AppView (through the official PDS) to ${opts.files.scenario}, normalised per tests/appview_reference/README.md`,
      scenarioSha256: createHash('sha256').update(scenarioBytes).digest('hex'),
      recordedWith: {
        node: process.versions.node,
        '@atproto/dev-env': version('@atproto/dev-env'),
        '@atproto/bsky': version('@atproto/bsky'),
        '@atproto/pds': version('@atproto/pds'),
        '@atproto/api': version('@atproto/api'),
      },
      results: replay.results,
    }
    writeFileSync(opts.out, `${JSON.stringify(output, null, 1)}\n`)
    const statuses = {}
    for (const r of replay.results) statuses[r.status] = (statuses[r.status] ?? 0) + 1
    console.log(`wrote ${replay.results.length} answers to ${opts.out}; statuses ${JSON.stringify(statuses)}`)
  } finally {
    if (network) await network.close()
    execFileSync('dropdb', [...pg, '--force', db])
    rmSync(tmp, { recursive: true, force: true })
    const rss = Math.round(process.resourceUsage().maxRSS / 1024)
    console.log(`wall ${((Date.now() - began) / 1000).toFixed(1)} s, max RSS ${rss} MiB`)
  }
}

await main()
