"""A loopback stand-in for the Hugging Face Hub and Kaggle's model API.

gemma-fetch talks to huggingface.co (model info, file trees, search, the
resolve endpoint and the LFS CDN it redirects to) and to Kaggle's
/api/v1/models endpoints (instance lookup, archive download, search). Tests
cannot reach either service, and could not make them misbehave on demand if
they could, so this module serves the same paths, headers and error shapes
from two in-process HTTP/1.1 servers on 127.0.0.1:

  hub   the Hub API, resolve URLs, and Kaggle's API (self.url)
  cdn   LFS blobs and Kaggle archives, the targets of redirects (self.cdn_url)

Every request either server sees is recorded in `requests`. `faults` makes
downloads (CDN bodies and the Hub's resolve endpoint for non-LFS files) fail
the ways real ones do; each fires `times` times, then leaves `faults`:

  drop_after=(nbytes, times)   nbytes of the body, then the connection closes
  corrupt=times                the body's last byte flipped
  status=(code, times, retry_after)  that status (Retry-After unless None) for
                               any CDN or resolve request, HEADs and redirects too
  stall=(nbytes, seconds, times)     a pause of `seconds` after nbytes
  ignore_range=times           a whole 200 answer to a Range request
"""

import fnmatch
import gzip
import hashlib
import io
import json
import re
import socket
import socketserver
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["Standin", "git_blob_sha1", "sha256"]

KAGGLE_NOT_FOUND = {"message": "Not found", "code": 404}
GATED_MESSAGE = ("Access to model {} is restricted. You must have access to it "
                 "and be authenticated to access it. Please log in.")
# Archive members need a fixed mtime so an archive, and so its URL, is the
# same on every run.
ARCHIVE_MTIME = 1741773600  # 2025-03-12T10:00:00Z
# Where each fault keeps its remaining count: an index into its tuple, or
# None when the fault is just the count.
COUNT_AT = {"drop_after": 1, "corrupt": None, "status": 1, "stall": 2,
            "ignore_range": None}


def git_blob_sha1(data: bytes) -> str:
    """The git object id of `data`: what the Hub reports for non-LFS files."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _commit_id(repo_id, files):
    h = hashlib.sha1(repo_id.encode())
    for path in sorted(files):
        h.update(b"\0" + path.encode() + b"\0" + files[path])
    return h.hexdigest()


def _tar_gz(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path in sorted(files):
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(files[path]), ARCHIVE_MTIME, 0o644
            tar.addfile(info, io.BytesIO(files[path]))
    return gzip.compress(raw.getvalue(), mtime=0)


def _parse_range(header, size):
    """(start, end) of a `bytes=N-` or `bytes=N-M` range, "unsatisfiable",
    or None for a header we do not understand (served whole, as RFC 9110
    allows)."""
    m = re.fullmatch(r"\s*bytes=(\d+)-(\d*)\s*", header)
    if not m:
        return None
    start = int(m[1])
    end = min(int(m[2]), size - 1) if m[2] else size - 1
    return "unsatisfiable" if start >= size or start > end else (start, end)


class _Repo:
    def __init__(self):
        self.branches = {}      # branch -> commit
        self.commits = {}       # commit -> {path: (bytes, is_lfs)}
        self.default_branch = None
        self.meta = {}


class _Server(ThreadingHTTPServer):
    def server_bind(self):
        # HTTPServer.server_bind looks up the host's FQDN, which can hang for
        # seconds on a machine without DNS; nothing here needs it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so the downloader's keep-alive and Range logic see what the
    # real services do; every reply therefore carries a Content-Length.
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass  # tests inspect Standin.requests instead of stderr noise

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass  # the client hung up mid-reply, which the fault tests provoke

    def do_GET(self):
        self.server.standin._dispatch(self, self.server.role)

    do_HEAD = do_GET

    def reply(self, status, body=b"", headers=()):
        self._head(status, len(body), headers)
        if self.command != "HEAD":
            self.wfile.write(body)

    def reply_json(self, status, obj, headers=()):
        body = json.dumps(obj).encode()
        self.reply(status, body, [("Content-Type", "application/json"), *headers])

    def reply_dropped(self, status, body, headers, nbytes):
        # Announce the whole length, then end the connection short of it:
        # what a client sees when a download dies part way.
        self._head(status, len(body), headers)
        self.wfile.write(body[:nbytes])
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def reply_stalled(self, status, body, headers, nbytes, seconds):
        self._head(status, len(body), headers)
        self.wfile.write(body[:nbytes])
        time.sleep(seconds)
        self.wfile.write(body[nbytes:])

    def _head(self, status, length, headers):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()


class Standin:
    token = None        # the HF token that opens gated repos
    kaggle_auth = None  # the exact Authorization value Kaggle requires, if any

    def __init__(self):
        self.requests = []
        self.faults = {}
        self._lock = threading.Lock()
        self._repos = {}            # repo_id -> _Repo
        self._blobs = {}            # sha256 -> bytes, LFS files of every repo
        self._archives = {}         # sha256 -> .tar.gz bytes
        self._kaggle_models = {}    # "owner/model" -> listing fields
        self._kaggle_instances = {} # handle -> {"id", "versions": {n: sha256}}
        self._servers = [self._start("hub"), self._start("cdn")]
        self.url, self.cdn_url = (f"http://127.0.0.1:{s.server_address[1]}"
                                  for s in self._servers)

    def _start(self, role):
        server = _Server(("127.0.0.1", 0), _Handler)
        server.standin, server.role = self, role
        # A short poll interval keeps close(), run after every test, quick.
        threading.Thread(target=server.serve_forever, args=(0.05,),
                         name=f"standin-{role}", daemon=True).start()
        return server

    def close(self):
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- content -----------------------------------------------------------

    def add_repo(self, repo_id, files, *, lfs=("*.gguf", "*.safetensors"),
                 branch="main", gated=False, downloads=0, likes=0,
                 last_modified="2025-03-12T10:00:00.000Z"):
        """Points `branch` of `repo_id` at a commit holding `files` (path ->
        bytes) and returns the commit id. Adding to an existing repo keeps
        its other branches and commits, so an old commit stays resolvable
        after its branch moves; the metadata is the latest call's."""
        repo = self._repos.setdefault(repo_id, _Repo())
        commit = _commit_id(repo_id, files)
        entries = {}
        for path, data in files.items():
            is_lfs = any(fnmatch.fnmatch(path.rsplit("/", 1)[-1], p) for p in lfs)
            entries[path] = (data, is_lfs)
            if is_lfs:
                self._blobs[sha256(data)] = data
        repo.commits[commit] = entries
        repo.branches[branch] = commit
        repo.default_branch = repo.default_branch or branch
        repo.meta = {"gated": gated, "downloads": downloads, "likes": likes,
                     "lastModified": last_modified}
        return commit

    def add_kaggle(self, handle, version, files, *, votes=0,
                   update_time="2025-03-12T10:00:00Z", title="", archive=None):
        """Adds version `version` of the instance `handle`
        ("owner/model/framework/variation"), served as a .tar.gz of
        `files` (or as the bytes `archive`, for hostile archives). Returns
        the archive's sha256. The model's listing fields are the latest
        call's (an empty title keeps an earlier one)."""
        owner, model, _framework, _variation = handle.split("/")
        archive = _tar_gz(files) if archive is None else archive
        digest = sha256(archive)
        self._archives[digest] = archive
        instance = self._kaggle_instances.setdefault(
            handle, {"id": len(self._kaggle_instances) + 1, "versions": {}})
        instance["versions"][int(version)] = digest
        listing = self._kaggle_models.setdefault(
            f"{owner}/{model}", {"id": len(self._kaggle_models) + 1, "title": model})
        listing.update(voteCount=votes, updateTime=update_time)
        listing["title"] = title or listing["title"]
        return digest

    # -- faults ------------------------------------------------------------

    def _take(self, name, applies=lambda spec: True):
        """The fault `name` if it is set, has firings left and `applies`;
        uses one firing. An exhausted fault is removed from `faults`, so a
        test can tell it fired."""
        with self._lock:
            spec = self.faults.get(name)
            if spec is None:
                return None
            at = COUNT_AT[name]
            times = spec if at is None else spec[at]
            if times <= 0 or not applies(spec):
                return None
            if times == 1:
                del self.faults[name]
            elif at is None:
                self.faults[name] = times - 1
            else:
                self.faults[name] = (*spec[:at], times - 1, *spec[at + 1:])
            return spec

    def _status_fault(self, h):
        spec = self._take("status")
        if spec is None:
            return False
        code, _times, retry_after = spec
        h.reply_json(code, {}, [] if retry_after is None
                     else [("Retry-After", str(retry_after))])
        return True

    # -- routing -----------------------------------------------------------

    def _dispatch(self, h, role):
        self.requests.append({
            "server": role, "method": h.command, "path": h.path,
            "headers": {k.lower(): v for k, v in h.headers.items()}})
        url = urlsplit(h.path)
        segs = [unquote(s) for s in url.path.split("/")[1:]]
        query = dict(parse_qsl(url.query))
        if role == "cdn":
            self._cdn(h, segs)
        elif segs[:2] == ["api", "v1"]:
            self._kaggle(h, segs[2:], query)
        elif segs[:2] == ["api", "models"] and len(segs) == 2:
            self._search(h, query)
        elif segs[:2] == ["api", "models"] and len(segs) >= 4:
            self._repo_api(h, f"{segs[2]}/{segs[3]}", segs[4:])
        elif len(segs) >= 5 and segs[2] == "resolve":
            self._resolve(h, f"{segs[0]}/{segs[1]}", segs[3], "/".join(segs[4:]))
        else:
            h.reply_json(404, {"error": "not found"})

    # -- Hub ---------------------------------------------------------------

    def _hub_error(self, h, status, code, message):
        h.reply_json(status, {"error": message},
                     [("X-Error-Code", code), ("X-Error-Message", message)])

    def _locate(self, h, repo_id, rev):
        """(repo, commit) of `rev`, the default branch when None; or None
        after answering why the caller cannot have it."""
        repo = self._repos.get(repo_id)
        if repo is None:
            return self._hub_error(h, 404, "RepoNotFound", "Repository not found")
        authorized = (self.token is not None and
                      h.headers.get("Authorization") == f"Bearer {self.token}")
        if repo.meta["gated"] and not authorized:
            return self._hub_error(h, 401, "GatedRepo", GATED_MESSAGE.format(repo_id))
        rev = repo.default_branch if rev is None else rev
        commit = repo.branches.get(rev) or (rev if rev in repo.commits else None)
        if commit is None:
            return self._hub_error(h, 404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return repo, commit

    def _info(self, repo_id, repo, commit):
        return {"id": repo_id, "modelId": repo_id, "sha": commit,
                "downloads": repo.meta["downloads"], "likes": repo.meta["likes"],
                "lastModified": repo.meta["lastModified"],
                "gated": "manual" if repo.meta["gated"] else False,
                "siblings": [{"rfilename": p} for p in sorted(repo.commits[commit])]}

    def _repo_api(self, h, repo_id, rest):
        kind = rest[0] if rest else "info"
        if not (kind == "info" or kind == "revision" and len(rest) == 2
                or kind == "tree" and len(rest) >= 2):
            return h.reply_json(404, {"error": "not found"})
        found = self._locate(h, repo_id, rest[1] if rest else None)
        if found is None:
            return
        repo, commit = found
        if kind == "tree":
            return self._tree(h, repo.commits[commit], "/".join(rest[2:]))
        h.reply_json(200, self._info(repo_id, repo, commit))

    def _tree(self, h, entries, prefix):
        paths = [p for p in sorted(entries)
                 if not prefix or p == prefix or p.startswith(prefix + "/")]
        if prefix and not paths:
            return self._hub_error(h, 404, "EntryNotFound", "Entry not found")
        listing = []
        for path in paths:
            data, is_lfs = entries[path]
            item = {"type": "file", "oid": git_blob_sha1(data), "size": len(data),
                    "path": path}
            if is_lfs:
                item["lfs"] = {"oid": sha256(data), "size": len(data), "pointerSize": 134}
            listing.append(item)
        h.reply_json(200, listing)

    def _resolve(self, h, repo_id, rev, path):
        if self._status_fault(h):
            return
        found = self._locate(h, repo_id, rev)
        if found is None:
            return
        repo, commit = found
        if path not in repo.commits[commit]:
            return self._hub_error(h, 404, "EntryNotFound", "Entry not found")
        data, is_lfs = repo.commits[commit][path]
        etag = sha256(data) if is_lfs else git_blob_sha1(data)
        headers = [("X-Repo-Commit", commit), ("ETag", f'"{etag}"')]
        if not is_lfs:
            return self._serve_bytes(h, data, headers)
        location = f"{self.cdn_url}/blobs/{etag}?repo={repo_id.replace('/', '--')}"
        h.reply(302, b"", [*headers, ("Location", location),
                           ("X-Linked-Etag", f'"{etag}"'),
                           ("X-Linked-Size", str(len(data)))])

    def _search(self, h, query):
        words = query.get("search", "").lower().split()
        limit = int(query.get("limit", 20))
        found = [(repo_id, repo) for repo_id, repo in self._repos.items()
                 if all(w in repo_id.lower() for w in words)]
        found.sort(key=lambda item: (-item[1].meta["downloads"], item[0]))
        results = []
        for repo_id, repo in found[:limit]:
            info = self._info(repo_id, repo, repo.branches[repo.default_branch])
            del info["sha"], info["gated"]
            results.append(info)
        h.reply_json(200, results)

    # -- CDN ---------------------------------------------------------------

    def _cdn(self, h, segs):
        if self._status_fault(h):
            return
        data = None
        if len(segs) == 2 and segs[0] == "blobs":
            data = self._blobs.get(segs[1])
        elif len(segs) == 2 and segs[0] == "archives" and segs[1].endswith(".tar.gz"):
            data = self._archives.get(segs[1][:-len(".tar.gz")])
        if data is None:
            return h.reply_json(404, {"error": "not found"})
        self._serve_bytes(h, data, [("ETag", f'"{sha256(data)}"')])

    def _serve_bytes(self, h, data, headers):
        """Answers a HEAD or GET for `data`, honouring Range and the body
        faults (which only a GET can trigger)."""
        size = len(data)
        headers = [*headers, ("Accept-Ranges", "bytes"),
                   ("Content-Type", "application/octet-stream")]
        is_get = h.command == "GET"
        span = _parse_range(h.headers["Range"], size) if h.headers["Range"] else None
        if span is not None and is_get and self._take("ignore_range"):
            span = None
        if span == "unsatisfiable":
            return h.reply(416, b"", [*headers, ("Content-Range", f"bytes */{size}")])
        status, body = 200, data
        if span is not None:
            start, end = span
            status, body = 206, data[start:end + 1]
            headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
        if not is_get:
            return h.reply(status, body, headers)
        if body and self._take("corrupt"):
            body = body[:-1] + bytes([body[-1] ^ 0xFF])
        # A drop or stall needs bytes left after the first nbytes to mean
        # anything; a shorter body (a small file, a resumed tail) leaves the
        # fault for the next request.
        if drop := self._take("drop_after", lambda f: f[0] < len(body)):
            return h.reply_dropped(status, body, headers, drop[0])
        if stall := self._take("stall", lambda f: f[0] < len(body)):
            return h.reply_stalled(status, body, headers, stall[0], stall[1])
        h.reply(status, body, headers)

    # -- Kaggle ------------------------------------------------------------

    def _kaggle(self, h, segs, query):
        if self.kaggle_auth is not None and h.headers.get("Authorization") != self.kaggle_auth:
            return h.reply_json(401, {"message": "Unauthenticated", "code": 401})
        if segs == ["models", "list"]:
            return self._kaggle_list(h, query)
        if len(segs) == 6 and segs[0] == "models" and segs[5] == "get":
            return self._kaggle_get(h, segs[1:5])
        if len(segs) == 7 and segs[0] == "models" and segs[6] == "download":
            return self._kaggle_download(h, segs[1:5], segs[5])
        h.reply_json(404, KAGGLE_NOT_FOUND)

    def _kaggle_get(self, h, parts):
        instance = self._kaggle_instances.get("/".join(parts))
        if instance is None:
            return h.reply_json(404, KAGGLE_NOT_FOUND)
        owner, model, framework, variation = parts
        h.reply_json(200, {"id": instance["id"], "slug": variation,
                           "framework": framework,
                           "versionNumber": max(instance["versions"]),
                           "modelSlug": model, "ownerSlug": owner})

    def _kaggle_download(self, h, parts, version):
        instance = self._kaggle_instances.get("/".join(parts))
        digest = instance and version.isdigit() and instance["versions"].get(int(version))
        if not digest:
            return h.reply_json(404, KAGGLE_NOT_FOUND)
        h.reply(302, b"", [("Location", f"{self.cdn_url}/archives/{digest}.tar.gz")])

    def _kaggle_list(self, h, query):
        words = query.get("search", "").lower().split()
        page_size = int(query.get("pageSize", 20))
        models = []
        for ref, listing in sorted(self._kaggle_models.items(),
                                   key=lambda item: (-item[1]["voteCount"], item[0])):
            haystack = f"{ref} {listing['title']}".lower()
            if all(w in haystack for w in words):
                owner, model = ref.split("/")
                models.append({"id": listing["id"], "ref": ref, "title": listing["title"],
                               "author": owner, "slug": model,
                               "voteCount": listing["voteCount"],
                               "updateTime": listing["updateTime"]})
        h.reply_json(200, {"models": models[:page_size], "nextPageToken": ""})
