#!/usr/bin/env python3
"""Ranks where an SDK server's CPU time goes, from `perf script -F tid,ip,sym,srcline` output.

  perf script -i SCENARIO.perf.data -F tid,ip,sym,srcline > SCENARIO.script
  python3 examples/bench/attribute.py SCENARIO.script [CPU_US_PER_REQUEST]

profile.sh runs it. Each sample's stack is read leaf first. A frame belongs to the SDK when its
own path (not a generic argument) is `mcp_connector_core::` or `mcp_connector_transport::`, or when it is a
function inlined into such a frame and its source file is one of the SDK's. Printed:

- the split of all samples: kernel, allocator, memcpy, serde_json, tracing, tokio, hyper, ...;
- self time by function (the leaf's symbol);
- "SDK-attributed": each sample with an SDK frame charged to the innermost SDK frame, so the
  allocations, serde_json and tokio work an SDK function causes count against it;
- inclusive time by SDK frame (each frame counted once per sample).

With CPU_US_PER_REQUEST (from profile.sh's cpu_per_request.txt) percentages are also shown as
CPU microseconds per request.
"""

import collections
import os
import re
import sys

SDK_PREFIXES = ("mcp_connector_core::", "mcp_connector_transport::", "mcp_connector_macros::", "examples::", "bench::")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def sdk_files():
    names = set()
    for crate in ("mcp-core/src", "mcp-transport/src"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, crate)):
            names.update(f for f in files if f.endswith(".rs"))
    # Too common to say anything about the crate.
    return names - {"mod.rs", "lib.rs"}


SDK_FILES = sdk_files()


def own_path(name):
    """The path a symbol belongs to, without generic arguments: `<T as Trait>::f` -> T."""
    if name.startswith("<"):
        depth = 0
        for i, c in enumerate(name):
            if c == "<":
                depth += 1
            elif c == ">":
                depth -= 1
            if depth == 1 and name.startswith(" as ", i):
                return name[1:i]
            if depth == 0:
                return name[1:i]
        return name
    return name.split("<", 1)[0]


def is_sdk_path(name):
    return own_path(name).lstrip("&").startswith(SDK_PREFIXES)


def strip_generics(text):
    out, depth = [], 0
    for c in text:
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        elif depth == 0:
            out.append(c)
    return "".join(out)


def display(name):
    """`<X as Trait>::f` -> `X::f` (or `<T as Trait>::f` for a bare generic X), no generics."""
    if name.startswith("<"):
        depth = 0
        for i, c in enumerate(name):
            if c == "<":
                depth += 1
            elif c == ">":
                depth -= 1
                if depth == 0:
                    inner, rest = name[1:i], name[i + 1 :]
                    ty, _, trait = inner.partition(" as ")
                    ty = strip_generics(ty)
                    if "::" in ty or not trait:
                        return ty + strip_generics(rest)
                    return f"<{ty} as {strip_generics(trait)}>" + strip_generics(rest)
    return strip_generics(name)


def short(name, limit=110):
    text = display(name)
    return text if len(text) <= limit else text[: limit - 1] + "…"


CATEGORIES = [
    ("allocator", re.compile(r"^(malloc|_int_malloc|_int_free|cfree|free|realloc|_int_realloc|calloc|"
                             r"malloc_consolidate|unlink_chunk|tcache|__libc_malloc|__libc_free|"
                             r"__posix_memalign|_int_memalign|__rust_alloc|__rust_dealloc|"
                             r"__rust_realloc|alloc::alloc|alloc::raw_vec)")),
    ("memcpy/memcmp", re.compile(r"^__mem(move|cpy|set|cmp)|^__memcmp|^__strlen|^bcmp")),
    ("BTreeMap (serde_json::Map)", re.compile(r"^alloc::collections::btree")),
    ("serde_json", re.compile(r"serde_json::|serde_core::|^serde::")),
    ("tracing", re.compile(r"tracing(_core|_subscriber)?::")),
    ("tokio/futures", re.compile(r"^<?(tokio|tokio_util|mio|futures_util|futures_core|atomic_waker)::")),
    ("hyper/axum/tower/http", re.compile(r"^<?(hyper|hyper_util|axum|axum_core|http|http_body|"
                                         r"http_body_util|httparse|tower|tower_service|tower_http|"
                                         r"tower_layer|bytes|matchit)::")),
    ("drop/clone glue", re.compile(r"^(core::ptr::drop_in_place|alloc::sync::Arc::drop_slow|"
                                   r"alloc::vec::Vec::clone|alloc::string::String::clone|"
                                   r"<T as tower::util::boxed_clone_sync::CloneService)")),
    ("clock_gettime", re.compile(r"clock_gettime|std::time::Instant")),
    ("syscall wrappers", re.compile(r"^__GI___|^__libc_(read|write|recv|send)|^epoll|^__futex|syscall")),
    ("hashing/crypto", re.compile(r"sha2::|hmac::|digest::|siphash|hashbrown|std::hash|core::hash|"
                                  r"ahash|foldhash")),
    ("fmt", re.compile(r"core::fmt|alloc::fmt")),
    ("sdk code", re.compile(r"^<?&?(mcp_connector_core|mcp_connector_transport|examples|bench)::")),
    ("sync/atomics", re.compile(r"pthread|__lll_lock|futex|std::sync|parking_lot|core::sync|crossbeam")),
]


def category(frame):
    addr, name, _, _ = frame
    if addr.startswith("ffffffff"):
        return "kernel"
    label = display(name)
    for cat, pattern in CATEGORIES:
        if pattern.search(label) or pattern.search(name):
            return cat
    return "other (std/core/libc)"


# A sample starts with its thread id (right-aligned, so maybe with leading spaces).
HEADER = re.compile(r"^\s*\d+\s*$")


def read_samples(path):
    """Yields stacks: lists of (addr, name, srcfile, inlined), leaf first."""
    stack, pending = [], None
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            if HEADER.match(line):
                if stack:
                    yield stack
                stack, pending = [], None
                continue
            if line.startswith("\t"):
                parts = line.strip().split(" ", 1)
                addr = parts[0]
                name = parts[1] if len(parts) > 1 else "?"
                pending = [addr, name]
            elif pending is not None:
                src = line.strip()
                inlined = src.endswith("(inlined)")
                src = src.replace(" (inlined)", "")
                srcfile = src.rsplit(":", 1)[0]
                stack.append((pending[0], pending[1], os.path.basename(srcfile), inlined))
                pending = None
    if stack:
        yield stack


def sdk_frames(stack):
    """Indices of the stack's SDK frames, and a display name for each."""
    # The group of frames at one address shares a real (non-inlined) symbol.
    group_sdk = {}
    for addr, name, _, inlined in stack:
        if not inlined:
            group_sdk[addr] = group_sdk.get(addr, False) or is_sdk_path(name)
    out = []
    for i, (addr, name, srcfile, inlined) in enumerate(stack):
        if is_sdk_path(name):
            out.append((i, short(name)))
        elif inlined and group_sdk.get(addr) and srcfile in SDK_FILES and "::" not in own_path(name):
            out.append((i, f"{short(name)} [inlined, {srcfile}]"))
    return out


def main():
    path = sys.argv[1]
    us_per_request = float(sys.argv[2]) if len(sys.argv) > 2 else None
    total = 0
    cats = collections.Counter()
    self_time = collections.Counter()
    self_cat = {}
    attributed = collections.Counter()
    attributed_cats = collections.defaultdict(collections.Counter)
    sdk_cats = collections.Counter()
    inclusive = collections.Counter()
    with_sdk = 0
    for stack in read_samples(path):
        total += 1
        leaf = stack[0]
        # The function the sample is in (inlined frames name what was inlined into it).
        real = next((f for f in stack if not f[3]), leaf)
        cat = category(real)
        cats[cat] += 1
        # Self time by that function.
        key = short(real[1]) if not real[0].startswith("ffffffff") else f"[k] {real[1]}"
        self_time[key] += 1
        self_cat[key] = category(real)
        frames = sdk_frames(stack)
        if frames:
            with_sdk += 1
            _, innermost = frames[0]
            attributed[innermost] += 1
            attributed_cats[innermost][cat] += 1
            sdk_cats[cat] += 1
            for name in {name for _, name in frames}:
                inclusive[name] += 1

    def pct(n):
        text = f"{100 * n / total:5.1f}%"
        if us_per_request:
            text += f" {us_per_request * n / total:6.2f} µs"
        return text

    unit = " (% of samples, CPU µs/request)" if us_per_request else " (% of samples)"
    print(f"{path}: {total} samples{unit}")
    print(f"\nSamples with an SDK frame on the stack: {pct(with_sdk)}")
    print("\n== All samples by leaf category")
    for cat, n in cats.most_common():
        print(f"  {pct(n)}  {cat}")
    print("\n== SDK-attributed samples by leaf category (what the SDK's own frames end up running)")
    for cat, n in sdk_cats.most_common():
        print(f"  {pct(n)}  {cat}")
    print("\n== Self time, top 40 (leaf function)")
    for name, n in self_time.most_common(40):
        print(f"  {pct(n)}  {name}   [{self_cat[name]}]")
    print("\n== SDK-attributed, top 40: each sample charged to its innermost SDK frame")
    for name, n in attributed.most_common(40):
        split = ", ".join(f"{c} {100 * k / n:.0f}%" for c, k in attributed_cats[name].most_common(3))
        print(f"  {pct(n)}  {name}   ({split})")
    print("\n== Inclusive time of SDK frames, top 50")
    for name, n in inclusive.most_common(50):
        print(f"  {pct(n)}  {name}")


if __name__ == "__main__":
    main()
