// Drives a running exprsn-pds with the official JavaScript client, @atproto/api, unchanged.
// Usage: node js_client.mjs <service-url> <scenario> <json-params>
// Prints one JSON line (what the client saw) and exits 0; on any unexpected error prints
// {"ok": false, "error", "stack"} and exits 1. Assertions are the caller's (tests/test_js_client.py).
//
//   lifecycle {handle, email, password, png}   describeServer, createAccount, logins (handle,
//       e-mail, app password), getSession, resumeSession, refreshSession, app passwords,
//       typed errors, resolveHandle, every com.atproto.repo write and read, uploadBlob and a
//       post embedding it, sync.getBlob/listBlobs/getLatestCommit, sync.getRepo and
//       sync.getRecord (checked with @atproto/repo verifyRepoCar and verifyRecords)
//   expired {session, expiredAccessJwt}        a session whose access token has expired is
//       refreshed by the client on its own; then logout, after which the session is dead
//   refusals {handle, email, password}         a failed login; an app-password session
//       calling a full-access method (and whether the client spent a refresh on it)
//   appStart {alice, bob}                      what the Bluesky app calls on start and on
//       posting (app_start.mjs)
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { BlobRef, ComAtprotoRepoGetRecord } from '@atproto/api'
import repo from '@atproto/repo'
import { appStart } from './app_start.mjs'
import { cors, failure, newAgentOn } from './browser_agent.mjs'

const { verifyRecords, verifyRepoCar } = repo
const POST = 'app.bsky.feed.post'
const [service, scenario, rawParams] = process.argv.slice(2)
const params = JSON.parse(rawParams ?? '{}')

/** A new agent on the service; `events` collects what it tells persistSession. */
const newAgent = (events = []) => newAgentOn(service, events)

/** The did:key of the #atproto Multikey verification method of a DID document. */
function signingDidKey(didDoc) {
  const method = (didDoc?.verificationMethod ?? []).find(
    (m) => m.id === '#atproto' || m.id === `${didDoc.id}#atproto`,
  )
  return method?.publicKeyMultibase ? `did:key:${method.publicKeyMultibase}` : null
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')
const now = () => new Date().toISOString()
const rkeyOf = (uri) => uri.split('/').pop()

function sessionOf(agent) {
  const { did, handle, email, emailConfirmed, active, accessJwt, refreshJwt } = agent.session
  return { did, handle, email, emailConfirmed, active, accessJwt, refreshJwt }
}

async function accountAndSessions(out) {
  const { handle, email, password } = params
  const anonymous = newAgent()
  const described = await anonymous.com.atproto.server.describeServer()
  out.describeServer = described.data

  const events = []
  const agent = newAgent(events)
  const created = await agent.createAccount({ handle, email, password })
  out.createAccount = { did: created.data.did, handle: created.data.handle,
                        hasDidDoc: created.data.didDoc !== undefined,
                        pdsUrl: agent.pdsUrl?.toString() ?? null }
  const did = created.data.did
  const gotSession = await agent.com.atproto.server.getSession()
  out.getSession = gotSession.data
  out.signingKey = signingDidKey(gotSession.data.didDoc)

  const byHandle = newAgent()
  await byHandle.login({ identifier: handle, password })
  const byEmail = newAgent()
  const emailLogin = await byEmail.login({ identifier: email, password })
  out.login = { byHandle: byHandle.session.did, byEmail: byEmail.session.did,
                emailLoginHandle: emailLogin.data.handle, emailLoginEmail: emailLogin.data.email }

  const saved = sessionOf(byHandle)
  const resumedEvents = []
  const resumed = newAgent(resumedEvents)
  const resumeResponse = await resumed.resumeSession(saved)
  out.resumeSession = { did: resumeResponse.data.did, sessionDid: resumed.session.did,
                        rotated: resumed.session.refreshJwt !== saved.refreshJwt,
                        events: resumedEvents,
                        getSessionDid: (await resumed.com.atproto.server.getSession()).data.did }

  const beforeRefresh = sessionOf(agent)
  await agent.sessionManager.refreshSession()
  out.refreshSession = {
    did: agent.session.did,
    refreshChanged: agent.session.refreshJwt !== beforeRefresh.refreshJwt,
    email: agent.session.email,
    emailConfirmed: agent.session.emailConfirmed,
    getSessionDid: (await agent.com.atproto.server.getSession()).data.did,
    events,
  }

  const appPassword = await agent.com.atproto.server.createAppPassword({ name: 'js client' })
  const listed = await agent.com.atproto.server.listAppPasswords()
  const appEvents = []
  const appAgent = newAgent(appEvents)
  await appAgent.login({ identifier: handle, password: appPassword.data.password })
  const appWrite = await appAgent.com.atproto.repo.createRecord({
    repo: did, collection: POST, record: { $type: POST, text: 'via app password', createdAt: now() } })
  out.appPassword = {
    name: appPassword.data.name,
    passwordShape: /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/.test(appPassword.data.password),
    listed: listed.data.passwords.map((p) => p.name),
    sessionDid: appAgent.session.did,
    getSessionDid: (await appAgent.com.atproto.server.getSession()).data.did,
    wrote: appWrite.data.uri,
    escalation: await failure(() =>
      appAgent.com.atproto.server.createAppPassword({ name: 'escalation' })),
    events: appEvents,
  }

  out.errors = {
    wrongPassword: await failure(() => newAgent().login({ identifier: handle, password: `${password}-wrong` })),
    unknownUser: await failure(() => newAgent().login({ identifier: 'nobody.test', password })),
    recordNotFound: await failure(() =>
      agent.com.atproto.repo.getRecord({ repo: did, collection: POST, rkey: '3jzfcijpj2z2a' })),
    recordNotFoundIsTyped: false,
  }
  try {
    await agent.com.atproto.repo.getRecord({ repo: did, collection: POST, rkey: '3jzfcijpj2z2a' })
  } catch (error) {
    out.errors.recordNotFoundIsTyped = error instanceof ComAtprotoRepoGetRecord.RecordNotFoundError
  }

  const resolved = await anonymous.com.atproto.identity.resolveHandle({ handle })
  out.resolveHandle = resolved.data
  return { agent, did }
}

async function repoReadsAndWrites(out, agent, did) {
  const created = await agent.com.atproto.repo.createRecord({
    repo: did, collection: POST, record: { $type: POST, text: 'hello from @atproto/api', createdAt: now() } })
  const rkey = rkeyOf(created.data.uri)
  const got = await agent.com.atproto.repo.getRecord({ repo: did, collection: POST, rkey })
  const put = await agent.com.atproto.repo.putRecord({
    repo: did, collection: POST, rkey,
    record: { $type: POST, text: 'edited by putRecord', createdAt: now() }, swapRecord: created.data.cid })
  const afterPut = await agent.com.atproto.repo.getRecord({ repo: did, collection: POST, rkey })
  const staleSwap = await failure(() => agent.com.atproto.repo.putRecord({
    repo: did, collection: POST, rkey,
    record: { $type: POST, text: 'stale swap', createdAt: now() }, swapRecord: created.data.cid }))
  out.records = {
    create: { uri: created.data.uri, cid: created.data.cid, commit: created.data.commit ?? null,
              validationStatus: created.data.validationStatus ?? null },
    get: { uri: got.data.uri, cid: got.data.cid ?? null, text: got.data.value.text },
    put: { uri: put.data.uri, cid: put.data.cid, validationStatus: put.data.validationStatus ?? null },
    afterPut: { cid: afterPut.data.cid ?? null, text: afterPut.data.value.text },
    staleSwap,
  }

  const viaPost = await agent.post({ text: 'posted with agent.post()', createdAt: now() })
  out.agentPost = { uri: viaPost.uri, cid: viaPost.cid }

  const batch = await agent.com.atproto.repo.applyWrites({
    repo: did,
    writes: [
      { $type: 'com.atproto.repo.applyWrites#create', collection: POST, rkey: '3l3qo2vutsw2b',
        value: { $type: POST, text: 'batch one', createdAt: now() } },
      { $type: 'com.atproto.repo.applyWrites#create', collection: POST,
        value: { $type: POST, text: 'batch two', createdAt: now() } },
      { $type: 'com.atproto.repo.applyWrites#update', collection: POST, rkey,
        value: { $type: POST, text: 'updated in a batch', createdAt: now() } },
      { $type: 'com.atproto.repo.applyWrites#delete', collection: POST, rkey: rkeyOf(viaPost.uri) },
    ],
  })
  out.applyWrites = { commit: batch.data.commit ?? null,
                      results: (batch.data.results ?? []).map((r) => ({ $type: r.$type, uri: r.uri ?? null })) }

  const deleted = await agent.com.atproto.repo.deleteRecord({ repo: did, collection: POST, rkey: '3l3qo2vutsw2b' })
  out.deleteRecord = { commit: deleted.data.commit ?? null }

  const listed = []
  let cursor
  do {
    const page = await agent.com.atproto.repo.listRecords({ repo: did, collection: POST, limit: 2, cursor })
    listed.push(...page.data.records.map((r) => ({ uri: r.uri, cid: r.cid, text: r.value.text })))
    cursor = page.data.cursor
  } while (cursor)
  out.listRecords = listed
  const described = await agent.com.atproto.repo.describeRepo({ repo: did })
  out.describeRepo = { did: described.data.did, handle: described.data.handle,
                       collections: described.data.collections,
                       handleIsCorrect: described.data.handleIsCorrect }
}

async function blobs(out, agent, did) {
  const png = readFileSync(params.png)
  const uploaded = await agent.uploadBlob(png, { encoding: 'image/png' })
  const blob = uploaded.data.blob
  const post = await agent.com.atproto.repo.createRecord({
    repo: did, collection: POST,
    record: { $type: POST, text: 'a picture', createdAt: now(),
              embed: { $type: 'app.bsky.embed.images', images: [{ image: blob, alt: 'one pixel' }] } },
  })
  const fetched = await agent.com.atproto.repo.getRecord({ repo: did, collection: POST, rkey: rkeyOf(post.data.uri) })
  const image = fetched.data.value.embed.images[0].image
  const downloaded = await agent.com.atproto.sync.getBlob({ did, cid: blob.ref.toString() })
  const listedBlobs = await agent.com.atproto.sync.listBlobs({ did })
  out.blob = {
    isBlobRef: blob instanceof BlobRef,
    cid: blob.ref.toString(),
    mimeType: blob.mimeType,
    size: blob.size,
    embeddedIsBlobRef: image instanceof BlobRef,
    embeddedCid: image.ref.toString(),
    downloadedSha256: sha256(downloaded.data),
    downloadedType: downloaded.headers['content-type'] ?? null,
    listed: listedBlobs.data.cids,
    postUri: post.data.uri,
  }
}

async function sync(out, agent, did) {
  const latest = await agent.com.atproto.sync.getLatestCommit({ did })
  const car = await agent.com.atproto.sync.getRepo({ did })
  const verified = await verifyRepoCar(car.data, did, out.signingKey)
  const blobPost = rkeyOf(out.blob.postUri)
  const proof = await agent.com.atproto.sync.getRecord({ did, collection: POST, rkey: blobPost })
  const proven = await verifyRecords(proof.data, did, out.signingKey)
  out.sync = {
    latestCommit: latest.data,
    carType: car.headers['content-type'] ?? null,
    verifiedCommit: verified.commit.cid?.toString() ?? null,
    verifiedRev: verified.commit.rev,
    records: verified.creates.map((c) => `at://${did}/${c.collection}/${c.rkey}`).sort(),
    proven: proven.map((c) => ({ uri: `at://${did}/${c.collection}/${c.rkey}`, text: c.record.text })),
  }
}

async function lifecycle() {
  const out = {}
  const { agent, did } = await accountAndSessions(out)
  await repoReadsAndWrites(out, agent, did)
  await blobs(out, agent, did)
  await sync(out, agent, did)
  out.session = sessionOf(agent)
  return out
}

async function expired() {
  const { session, expiredAccessJwt } = params
  const events = []
  const agent = newAgent(events)
  // What an app does on start: resume the session it persisted (here with an access token
  // that has expired meanwhile); the client refreshes it at once.
  await agent.resumeSession({ ...session, accessJwt: expiredAccessJwt })
  const resumedAccess = agent.session.accessJwt
  // The access token expires again while the app runs: the next call is answered
  // ExpiredToken, the client refreshes on its own and retries.
  agent.sessionManager.session = { ...agent.session, accessJwt: expiredAccessJwt }
  const beforeAuto = agent.session.refreshJwt
  const afterExpiry = await agent.com.atproto.server.getSession()
  const expiredAnswer = await failure(() => newAgent().com.atproto.server.getSession(undefined, {
    headers: { authorization: `Bearer ${expiredAccessJwt}` } }))
  const out = {
    resumedAccessIsNew: resumedAccess !== expiredAccessJwt,
    autoRefresh: { did: afterExpiry.data.did, refreshRotated: agent.session.refreshJwt !== beforeAuto,
                   accessIsNew: agent.session.accessJwt !== expiredAccessJwt },
    expiredAnswer,
    events: [...events],
  }
  const dead = { ...agent.session }
  await agent.logout()
  out.afterLogout = {
    hasSession: agent.hasSession,
    resume: await failure(() => newAgent().resumeSession(dead)),
  }
  out.events = events
  return out
}

async function refusals() {
  const { handle, email, password } = params
  const out = { wrongPassword: await failure(() => newAgent().login({ identifier: handle, password })) }
  const agent = newAgent()
  await agent.createAccount({ handle, email, password })
  const appPassword = await agent.com.atproto.server.createAppPassword({ name: 'limited' })
  const appEvents = []
  const appAgent = newAgent(appEvents)
  await appAgent.login({ identifier: handle, password: appPassword.data.password })
  out.appPasswordEscalation = await failure(() =>
    appAgent.com.atproto.server.createAppPassword({ name: 'escalation' }))
  out.appPasswordEvents = appEvents
  return out
}

const scenarios = { lifecycle, expired, refusals, appStart: () => appStart(service, params) }

async function main() {
  const run = scenarios[scenario]
  if (!run) throw new Error(`unknown scenario ${scenario}`)
  return { ok: true, ...(await run()), cors }
}

main().then(
  (result) => {
    console.log(JSON.stringify(result))
  },
  (error) => {
    console.log(JSON.stringify({ ok: false, error: String(error?.message ?? error),
                                 xrpcError: error?.error ?? null, status: error?.status ?? null,
                                 stack: String(error?.stack ?? '') }))
    process.exitCode = 1
  },
)
