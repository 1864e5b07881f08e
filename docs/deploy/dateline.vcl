# Varnish 7 (Debian 12's varnish 7.1 with varnish-modules' xkey) in front of Dateline.
#
#   varnishd -F -a :6081 -f /etc/varnish/dateline.vcl -s malloc,256m \
#       -p http_gzip_support=off -j unix,user=varnish
#
# - Caches what Dateline says may be cached (Cache-Control / Surrogate-Control), one copy per
#   encoding (Dateline makes the gzip and brotli copies itself, hence http_gzip_support=off),
#   and never: the admin, the API, previews, anything but GET and HEAD, requests with a
#   session cookie or credentials, answers that set a cookie, answers without caching headers.
# - Purges by surrogate key: Dateline sends `PURGE /` with `xkey-purge: k1 k2 …` (the keys of
#   `Surrogate-Key`) from an address in `purgers` when a change commits (DATELINE_PURGE_URL);
#   `xkey-purge: *` drops everything. Hard purges: a correction must not be served stale.
# - Varnish appends the client's address to X-Forwarded-For; list Varnish's address in
#   DATELINE_TRUSTED_PROXIES so that Dateline's rate limits see readers, not Varnish.
# - X-Cache: HIT or MISS on every answer (the Age header says how old a hit is).
#
# Set the backend to where Dateline listens and `purgers` to its instances' addresses.

vcl 4.1;

import std;
import xkey;

backend dateline {
    .host = "127.0.0.1";
    .port = "3000";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
    .between_bytes_timeout = 10s;
}

# Who may purge: Dateline's instances. Never a range readers' requests can come from.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "xkey-purge header missing"));
        }
        if (req.http.xkey-purge == "*") {
            std.ban("obj.status != 0");
            return (synth(200, "Banned everything"));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone + " objects"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        # Feedback posts, admin forms, the API: straight to Dateline (the client's address
        # travels in X-Forwarded-For).
        return (pass);
    }
    if (req.url ~ "^/(admin|api|preview)(/|\?|$)") {
        return (pass);
    }
    if (req.http.Authorization
        || req.http.Cookie ~ "(^|;\s*)(__Host-)?dateline_session=") {
        return (pass);
    }
    # Public pages are the same for everyone: other cookies (analytics…) must not split or
    # bypass the cache.
    unset req.http.Cookie;
    # At most three copies of a page: brotli, gzip, identity (Dateline's Vary: Accept-Encoding).
    if (req.http.Accept-Encoding ~ "\bbr\b") {
        set req.http.Accept-Encoding = "br";
    } elsif (req.http.Accept-Encoding ~ "\bgzip\b") {
        set req.http.Accept-Encoding = "gzip";
    } else {
        unset req.http.Accept-Encoding;
    }
    return (hash);
}

sub vcl_backend_response {
    # Cache only what Dateline marked cacheable: an answer without caching headers (an error
    # page, say) is not kept for Varnish's default TTL.
    if (!beresp.http.Cache-Control && !beresp.http.Surrogate-Control) {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # Surrogate-Control speaks to Varnish alone and wins over Cache-Control's s-maxage.
    if (beresp.http.Surrogate-Control ~ "max-age=[0-9]+") {
        set beresp.ttl = std.duration(
            regsub(beresp.http.Surrogate-Control, ".*max-age=([0-9]+).*", "\1") + "s", 0s);
    }
    # xkey indexes the object under the keys of its `xkey` header.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    # Falls through to the built-in rules: Set-Cookie, no-store, private, no-cache and a zero
    # TTL make the answer uncacheable.
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.xkey;
    unset resp.http.Surrogate-Control;
}
