// Normalises AppView answers so that two servers' answers to the same scenario can be
// compared field by field. The rules are documented in README.md ("Normalisation");
// the Python replay applies the same rules to exprsn-pds's answers.

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/
const DID_IN_TEXT = /did:(plc:[a-z2-7]{24}|web:[A-Za-z0-9.%:-]+)/g
const CID = /^baf[a-z2-7]{50,}$/
const AT_URI = /^at:\/\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/
const IMAGE_URL = /^https?:\/\/[^/]+\/img\/([a-z_]+)\/plain\/([^/]+)\/([a-z2-7]+)(@[a-z]+)?$/
const VIDEO_URL = /^https?:\/\/[^/]+\/vid\/([^/]+)\/([a-z2-7]+)\/(playlist\.m3u8|thumbnail\.jpg)$/
const TID = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/

/** Maps the run's random identifiers (DIDs, record URIs, CIDs) to scenario names. */
export class Normaliser {
  /**
   * @param {Iterable<number>} scenarioTimes instants (ms) the scenario itself wrote;
   *   datetimes equal to one of them are kept, every other datetime is server-made.
   */
  constructor(scenarioTimes) {
    this.scenarioTimes = new Set(scenarioTimes)
    this.didNames = new Map()
    this.recordNames = new Map()
    this.cidNames = new Map()
    this.unknown = new Map()
  }

  /** Names a DID: it is written `did:<name>` from now on. */
  addDid(did, name) {
    this.didNames.set(did, name)
  }

  /** Names a record URI: its record key is written `#<name>` from now on. */
  addRecord(uri, name) {
    this.recordNames.set(uri, name)
  }

  /** Names a CID (a record version or a blob): it is written `cid:<name>` from now on. */
  addCid(cid, name) {
    this.cidNames.set(cid, name)
  }

  /** A stable `<kind>:unknown:<n>` for a value the scenario did not create (numbered by first sight). */
  unknownName(kind, value) {
    const key = `${kind}\u0000${value}`
    if (!this.unknown.has(key)) {
      const count = [...this.unknown.keys()].filter((k) => k.startsWith(`${kind}\u0000`)).length
      this.unknown.set(key, `${kind}:unknown:${count + 1}`)
    }
    return this.unknown.get(key)
  }

  /** `did:<name>` for a known DID, else a numbered unknown DID. */
  did(did) {
    const name = this.didNames.get(did)
    return name ? `did:${name}` : this.unknownName('did', did)
  }

  /** Replaces every DID inside a longer string (e.g. a labelers header). */
  didsInText(text) {
    return text.replace(DID_IN_TEXT, (did) => this.did(did))
  }

  /** `cid:<name>` for a known CID, else a numbered unknown CID. */
  cid(cid) {
    const name = this.cidNames.get(cid)
    return name ? `cid:${name}` : this.unknownName('cid', cid)
  }

  /** `at://did:<name>/<collection>/#<record name>`; unnamed TID keys become unknowns. */
  atUri(uri) {
    const [, authority, collection, rkey] = uri.match(AT_URI)
    let out = `at://${authority.startsWith('did:') ? this.did(authority) : authority}`
    if (collection === undefined) return out
    out += `/${collection}`
    if (rkey === undefined) return out
    const name = this.recordNames.get(uri)
    if (name) return `${out}/#${name}`
    return `${out}/${TID.test(rkey) ? `#${this.unknownName('rkey', rkey)}` : rkey}`
  }

  /** One string value: datetime, image or video URL, at-URI, CID, DID, or plain text. */
  string(value, times) {
    if (DATETIME.test(value)) {
      const instant = Date.parse(value)
      return this.scenarioTimes.has(instant) ? value : `time:${times.get(instant)}`
    }
    const image = value.match(IMAGE_URL)
    if (image) {
      const [, preset, did, cid, format] = image
      const owner = this.did(did).slice('did:'.length)
      const blob = this.cid(cid).slice('cid:'.length)
      return `image:${preset}:${owner}:${blob}${format ?? ''}`
    }
    const video = value.match(VIDEO_URL)
    if (video) {
      const [, did, cid, file] = video
      const owner = this.did(decodeURIComponent(did)).slice('did:'.length)
      const blob = this.cid(cid).slice('cid:'.length)
      return `video:${file}:${owner}:${blob}`
    }
    if (AT_URI.test(value)) return this.atUri(value)
    if (CID.test(value)) return this.cid(value)
    return this.didsInText(value)
  }

  /** Dense ranks (0, 1, …) of the server-made datetimes found anywhere in `body`. */
  serverTimes(body) {
    const instants = new Set()
    const walk = (value) => {
      if (typeof value === 'string') {
        if (DATETIME.test(value)) {
          const instant = Date.parse(value)
          if (!this.scenarioTimes.has(instant)) instants.add(instant)
        }
      } else if (Array.isArray(value)) {
        value.forEach(walk)
      } else if (value && typeof value === 'object') {
        Object.values(value).forEach(walk)
      }
    }
    walk(body)
    const sorted = [...instants].sort((a, b) => a - b)
    return new Map(sorted.map((instant, rank) => [instant, rank]))
  }

  /** A normalised copy of a JSON response body, object keys sorted. */
  body(body) {
    const times = this.serverTimes(body)
    const walk = (value, key) => {
      if (typeof value === 'string') {
        if (key === 'cursor') return 'cursor:present'
        return this.string(value, times)
      }
      if (Array.isArray(value)) return value.map((item) => walk(item))
      if (value && typeof value === 'object') {
        const out = {}
        for (const k of Object.keys(value).sort()) out[k] = walk(value[k], k)
        return out
      }
      return value
    }
    return walk(body)
  }

  /** The response headers that matter, normalised. */
  headers(headers) {
    const out = {}
    const type = headers.get('content-type')
    if (type) out['content-type'] = type.split(';')[0].trim()
    if (headers.has('atproto-repo-rev')) out['atproto-repo-rev'] = 'rev:present'
    const labelers = headers.get('atproto-content-labelers')
    if (labelers !== null) out['atproto-content-labelers'] = this.didsInText(labelers)
    return out
  }
}
