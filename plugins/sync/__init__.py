"""The ``sync`` plugin (essential): ``com.atproto.sync.*`` exports and the firehose."""

from __future__ import annotations

from exprsn_pds import XrpcRegistrar, hookimpl, optional_auth
from exprsn_pds.plugins.sync import firehose, hosts, repos


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar) -> None:
    """Serve the repo-sync methods of ``com.atproto.sync``."""
    registry.add("com.atproto.sync.getRepo", repos.get_repo, auth=optional_auth)
    registry.add("com.atproto.sync.getRecord", repos.get_record, auth=optional_auth)
    registry.add("com.atproto.sync.getBlocks", repos.get_blocks, auth=optional_auth)
    registry.add("com.atproto.sync.getLatestCommit", repos.get_latest_commit, auth=optional_auth)
    registry.add("com.atproto.sync.getRepoStatus", repos.get_repo_status)
    registry.add("com.atproto.sync.listRepos", repos.list_repos)
    registry.add("com.atproto.sync.subscribeRepos", firehose.subscribe_repos)
    registry.add("com.atproto.sync.requestCrawl", hosts.request_crawl)
    registry.add("com.atproto.sync.listHosts", hosts.list_hosts)
    registry.add("com.atproto.sync.getHostStatus", hosts.get_host_status)
