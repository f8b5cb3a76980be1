// What the Bluesky app (bluesky-social/social-app) asks of its PDS when it starts, through
// @atproto/api as the app configures it: the client's own typed methods, so every request
// has the app's shape, and every answer is checked against the client's lexicons.
//
//   appStart {alice, bob}   bob posts and publishes a feed generator and a labeler; alice
//       signs up and onboards (profile, follows bob, pins his feed, subscribes to his
//       labeler). The app then starts again on alice's saved session: getPreferences, own
//       getProfile, getConfig, labeler getServices, ageassurance getState, the Following
//       timeline, the pinned feed's getFeedGenerators, notifications (listNotifications
//       limit 40, getUnreadCount, updateSeen), chat listConvos/getLog through the chat proxy.
//       Then alice posts and replies as the composer does, polling getPostThreadV2 until the
//       post appears; the thread, timeline, author feeds and getPosts show them; bob likes,
//       replies and follows, and alice's unread count rises, then falls to 0 on updateSeen.
import { AppBskyUnspeccedDefs, AtpAgent } from '@atproto/api'
import { failure, newAgentOn, traffic } from './browser_agent.mjs'

const BSKY_LABELER = 'did:plc:ar7c4by46qjdydhdevvrndac' // the app's own, always asked for
const CHAT_SERVICE = ['bsky_chat', 'did:web:api.bsky.chat']
const COMPOSER_POLLS = 5 // social-app's composer: retry(5, ...) on getPostThreadV2
const NOTIFICATIONS_PAGE = 40
const TIMELINE_PAGE = 30
const now = () => new Date().toISOString()
const ref = ({ uri, cid }) => ({ uri, cid })

/** bob: a post, a feed generator and a labeler declaration, as other accounts have. */
async function otherAccount(service, bob) {
  const agent = newAgentOn(service)
  await agent.createAccount(bob)
  const did = agent.session.did
  const post = await agent.post({ text: 'hello from bob', createdAt: now() })
  const feed = await agent.app.bsky.feed.generator.create(
    { repo: did, rkey: 'bobs-feed' },
    { did: 'did:web:feeds.example', displayName: "Bob's feed", createdAt: now() })
  await agent.app.bsky.labeler.service.create(
    { repo: did, rkey: 'self' }, { policies: { labelValues: ['spam'] }, createdAt: now() })
  return { agent, did, post: ref(post), feed: feed.uri }
}

/** alice signs up and onboards the way the app walks a new account through it. */
async function signUp(service, alice, bob) {
  const agent = newAgentOn(service)
  await agent.createAccount(alice)
  await agent.upsertProfile((existing) => ({ ...existing, displayName: 'Alice' }))
  await agent.follow(bob.did)
  await agent.addSavedFeeds([{ type: 'timeline', value: 'following', pinned: true },
                             { type: 'feed', value: bob.feed, pinned: true }])
  await agent.addLabeler(bob.did)
  return agent.session
}

/** The home screen's first round of calls, on a session resumed from storage. */
async function firstScreens(agent, out) {
  const did = agent.session.did
  const prefs = await agent.getPreferences()
  const labelers = prefs.moderationPrefs.labelers.map((labeler) => labeler.did)
  agent.configureLabelers(labelers)
  const profile = await agent.getProfile({ actor: did })
  const config = await agent.app.bsky.unspecced.getConfig()
  const services = await agent.app.bsky.labeler.getServices(
    { dids: [BSKY_LABELER, ...labelers], detailed: true })
  const age = await agent.app.bsky.ageassurance.getState({ countryCode: 'US' })
  const pinned = prefs.savedFeeds.filter((feed) => feed.pinned)
  const generators = await agent.app.bsky.feed.getFeedGenerators(
    { feeds: pinned.filter((feed) => feed.type === 'feed').map((feed) => feed.value) })
  const timeline = await agent.getTimeline({ limit: TIMELINE_PAGE })
  const notifications = await agent.listNotifications({ limit: NOTIFICATIONS_PAGE })
  const unread = await agent.countUnreadNotifications()
  await agent.updateSeenNotifications()
  const chat = agent.withProxy(...CHAT_SERVICE)
  out.start = {
    did,
    savedFeeds: prefs.savedFeeds.map(({ type, value, pinned: isPinned }) => ({ type, value, pinned: isPinned })),
    labelers,
    profile: { did: profile.data.did, handle: profile.data.handle, displayName: profile.data.displayName ?? null,
               followsCount: profile.data.followsCount ?? null },
    config: config.data,
    labelerViews: services.data.views.map((view) => ({ $type: view.$type, did: view.creator.did })),
    ageAssurance: age.data,
    feedGenerators: generators.data.feeds.map((feed) => ({ uri: feed.uri, displayName: feed.displayName })),
    timeline: timeline.data.feed.map((item) => item.post.uri),
    notifications: notifications.data.notifications.length,
    unread: unread.data.count,
    listConvos: await failure(() => chat.chat.bsky.convo.listConvos({})),
    getLog: await failure(() => chat.chat.bsky.convo.getLog({})),
  }
}

/** The composer's wait: getPostThreadV2 on the new post until it is there; the poll it was. */
async function composerWait(agent, uri) {
  for (let poll = 1; poll <= COMPOSER_POLLS; poll += 1) {
    const { data } = await agent.app.bsky.unspecced.getPostThreadV2(
      { anchor: uri, above: false, below: 0, branchingFactor: 1 })
    if (data.thread.length === 1 && AppBskyUnspeccedDefs.isThreadItemPost(data.thread[0].value)) return poll
  }
  return null
}

/** A thread as the thread screen asks for it: [uri, depth] of each item. */
async function threadOf(agent, anchor) {
  const { data } = await agent.app.bsky.unspecced.getPostThreadV2({ anchor, below: 4, sort: 'top' })
  return data.thread.map((item) => [item.uri, item.depth, item.value.$type])
}

/** alice posts, and replies to bob; what the composer, thread, feeds and getPosts show. */
async function compose(agent, bob, out) {
  const did = agent.session.did
  const post = await agent.post({ text: 'first post from the app', createdAt: now() })
  const postSeenOnPoll = await composerWait(agent, post.uri)
  const reply = await agent.post({ text: 'hi bob', createdAt: now(),
                                   reply: { root: bob.post, parent: bob.post } })
  const replySeenOnPoll = await composerWait(agent, reply.uri)
  const uris = (response) => response.data.feed.map((item) => item.post.uri)
  const authorFeed = (filter) => agent.getAuthorFeed({ actor: did, filter, includePins: true, limit: TIMELINE_PAGE })
  out.compose = {
    post: post.uri,
    reply: reply.uri,
    postSeenOnPoll,
    replySeenOnPoll,
    bobThread: await threadOf(agent, bob.post.uri),
    timeline: uris(await agent.getTimeline({ limit: TIMELINE_PAGE })),
    posts: uris(await authorFeed('posts_and_author_threads')),
    postsWithReplies: uris(await authorFeed('posts_with_replies')),
    getPosts: (await agent.getPosts({ uris: [post.uri, reply.uri] })).data.posts.map((view) => view.uri),
  }
  return ref(post)
}

/** bob likes, replies and follows; alice's notifications before and after updateSeen. */
async function notified(agent, bob, post, out) {
  await bob.agent.like(post.uri, post.cid)
  const answer = await bob.agent.post({ text: 'hi alice', createdAt: now(), reply: { root: post, parent: post } })
  await bob.agent.follow(agent.session.did)
  const listed = async () => (await agent.listNotifications({ limit: NOTIFICATIONS_PAGE })).data.notifications
    .map(({ reason, isRead, author }) => ({ reason, isRead, author: author.did }))
  const unreadBefore = (await agent.countUnreadNotifications()).data.count
  const before = await listed()
  await agent.updateSeenNotifications()
  out.notifications = {
    bobReply: answer.uri,
    unreadBefore,
    before,
    unreadAfter: (await agent.countUnreadNotifications()).data.count,
    after: await listed(),
    ownThread: await threadOf(agent, post.uri),
  }
}

/** What the app does on start, then on posting; see the file's head. */
export async function appStart(service, { alice, bob }) {
  AtpAgent.configure({ appLabelers: [BSKY_LABELER] })
  const other = await otherAccount(service, bob)
  const saved = await signUp(service, alice, other)
  const agent = newAgentOn(service)
  await agent.resumeSession(saved)
  const out = { bob: { did: other.did, post: other.post.uri, feed: other.feed } }
  await firstScreens(agent, out)
  const post = await compose(agent, other, out)
  await notified(agent, other, post, out)
  return { ...out, traffic }
}
