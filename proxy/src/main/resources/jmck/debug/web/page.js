// The jmck stepper's page. JMCK (set just before this script) says how it runs: "live" talks to the
// jmck process that served it; "export" carries a whole session and needs nothing else. Every stop is a
// "view" (see StopViews.java); the page keeps them all, so one can go back through the session.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const live = JMCK.mode === "live";
  const client = Math.random().toString(36).slice(2) + Date.now().toString(36);
  const views = [];           // every view so far, in order
  let shown = -1;             // the index of the view on screen
  let state = "running";      // live: running, stopped, over
  let following = true;      // live: jump to each new stop
  let extraWalk = null;       // a walk the user asked for at the shown stop
  let lastMap = null;         // the decoded map on screen, for hover
  window.jmckStats = { mapMillis: [], serverMapMillis: [], serverMapCpuMillis: [] };

  document.body.classList.add(live ? "live" : "export");

  // ---- small helpers ----
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  const big = (hex) => BigInt(hex);
  const hex = (b, width) => "0x" + (width ? b.toString(16).padStart(width, "0") : b.toString(16));
  function el(tag, cls, html) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (html !== undefined) e.innerHTML = html;
    return e;
  }
  function say(text, error) {
    const m = $("message");
    m.textContent = text || "";
    m.className = error ? "error" : "";
  }
  function flags(text) {
    if (text === "(empty)") return '<span class="dim">(empty)</span>';
    return text.split(/\s+/).filter(Boolean).map((f) => `<span class="flag ${esc(f)}">${esc(f)}</span>`).join("");
  }
  function bytes(n) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)) + " " + units[i];
  }

  // ---- views ----
  function add(newViews) {
    for (const v of newViews) views.push(v);
    if (newViews.length && (following || shown < 0)) show(views.length - 1);
    else updatePosition();
  }

  function updatePosition() {
    $("position").textContent = views.length ? `stop ${shown + 1} of ${views.length}` : "stop –";
    $("prev").disabled = shown <= 0;
    $("next").disabled = shown >= views.length - 1;
    const latest = shown === views.length - 1;
    const canRun = live && state === "stopped" && latest;
    for (const b of document.querySelectorAll("[data-cmd], #until")) b.disabled = !canRun;
    $("pause").disabled = !(live && state === "running");
    $("status").textContent = live ? state : "recorded session";
    $("status").className = "status " + (live ? state : "over");
  }

  function show(i) {
    if (i < 0 || i >= views.length) return;
    shown = i;
    following = i === views.length - 1;
    extraWalk = null;
    const v = views[i];
    $("stop-title").textContent = v.kind === "exit" ? v.title
      : `stop ${v.n} [pid ${v.pid} tid ${v.tid} core ${v.core}] ${v.title}`;
    document.title = `jmck step: ${v.title}`;
    renderCode(v);
    renderRegisters(v);
    renderFault(v);
    renderWalks(v);
    renderVmas(v);
    renderMemory(v);
    renderCores(v);
    renderEvents(i);
    if (!live) {
      $("transcript-panel").hidden = false;
      $("transcript").textContent = (JMCK.transcripts && JMCK.transcripts[i]) || "";
    }
    updatePosition();
  }

  function renderCode(v) {
    const box = $("code");
    box.innerHTML = "";
    if (!v.code) { box.innerHTML = '<span class="dim">no thread to show</span>'; return; }
    for (const n of v.code) {
      const line = el("div", "line" + (n.current ? " current" : ""));
      line.innerHTML = `${n.current ? "=&gt;" : "  "} ${esc(n.address)} <span class="sym">${n.symbol ? "&lt;" + esc(n.symbol) + "&gt;" : ""}</span>  ${esc(n.text)}`;
      line.title = n.bytes;
      box.appendChild(line);
    }
  }

  function renderRegisters(v) {
    const box = $("registers");
    box.innerHTML = "";
    if (!v.registers) return;
    for (const r of v.registers) {
      const d = el("div", "reg" + (r.changed ? " changed" : ""));
      d.dataset.reg = r.name;
      d.innerHTML = `<span class="name">${esc(r.name)}</span>${esc(hex(big(r.value), 16))}${r.symbol ? ' <span class="sym">&lt;' + esc(r.symbol) + "&gt;</span>" : ""}`;
      box.appendChild(d);
    }
  }

  function renderFault(v) {
    const box = $("fault");
    const f = v.fault;
    $("fault-panel").hidden = !f && !v.lastDecision;
    if (!f) {
      box.innerHTML = v.lastDecision ? `<div class="dim">No fault at this stop. The last one:</div><div class="why">${esc(v.lastDecision)}</div>` : "";
      return;
    }
    const bad = f.decision.startsWith("segv") || f.decision === "out_of_memory";
    box.innerHTML = `<div class="fault-head">at <span id="fault-address" class="mono">${esc(f.address)}</span>: ${esc(f.error)} (error code ${hex(BigInt(f.errorCode))})</div>
      <div class="mono">${esc(f.insn)}</div>
      <div>decision: <span id="fault-decision" class="decision${bad ? " bad" : ""}">${esc(f.decision)}</span>${big(f.frame) >= 0n && f.frame !== "0xffffffffffffffff" ? ` frame <span class="mono">${esc(f.frame)}</span> (${esc(f.pageSize)})` : ""}</div>
      <div class="why">${esc(f.why)}</div>`;
  }

  // The address split into the walk's index fields: 47-39 PML4, 38-30 PDPT, 29-21 PD, 20-12 PT, 11-0 offset.
  function vaBits(va) {
    const a = big(va);
    const part = (shift, bits) => Number((a >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n));
    const f = [["l4", 39, 9, "PML4 47–39"], ["l3", 30, 9, "PDPT 38–30"], ["l2", 21, 9, "PD 29–21"], ["l1", 12, 9, "PT 20–12"], ["l0", 0, 12, "offset 11–0"]];
    return `<div class="vabits"><span class="l0">${esc(va)}<small>virtual</small></span>` +
      f.map(([c, s, b, name]) => `<span class="${c}">${c === "l0" ? "0x" + part(s, b).toString(16) : part(s, b)}<small>${name}</small></span>`).join("") + "</div>";
  }

  const TABLE_NAMES = { 4: "PML4", 3: "PDPT", 2: "PD", 1: "PT" };
  function walkHtml(w, title, id, other) {
    let h = `<div class="walk" id="${id}"><h3>${esc(title)}</h3>`;
    w.levels.forEach((l, i) => {
      const before = other && other.levels[i];
      const changed = other && (!before || before.entry !== l.entry);
      h += `<div class="level l${l.level}${l.present ? "" : " absent"}${changed ? " changed" : ""}" data-level="${l.level}" data-present="${l.present}" data-entry="${esc(l.entry)}">
        <b>${esc(l.name)}</b> [${l.index}] in ${TABLE_NAMES[l.level]} @${esc(l.table)}<br>
        entry @${esc(l.slot)} = ${esc(hex(big(l.entry), 16))}<br>${flags(l.flags)}</div>`;
      if (l.present && i < w.levels.length - 1)
        h += `<div class="arrow">↓ next table at ${esc(hex(big(l.entry) & 0x000ffffffffff000n))}</div>`;
    });
    h += w.mapped ? `<div class="result" data-mapped="true">→ physical ${esc(w.physical)} (${esc(w.pageSize)} page)</div>`
      : `<div class="result unmapped" data-mapped="false">→ not mapped</div>`;
    return h + "</div>";
  }

  function renderWalks(v) {
    const box = $("walks");
    let h = "";
    if (extraWalk) {
      $("walk-hint").textContent = "of the address you asked for, at this stop";
      h = vaBits(extraWalk.va) + walkHtml(extraWalk, `walk of ${extraWalk.va} (CR3 ${extraWalk.cr3})`, "walk-asked");
    } else if (v.fault) {
      $("walk-hint").textContent = "of the faulting address, before and after the handler; the entries it wrote are outlined";
      h = vaBits(v.fault.before.va) + '<div class="walkpair">' + walkHtml(v.fault.before, "before the handler", "walk-before")
        + walkHtml(v.fault.after, "after the handler", "walk-after", v.fault.before) + "</div>";
    } else {
      const recorded = !live && JMCK.walks && JMCK.walks[shown];
      if (recorded && recorded.length) {
        $("walk-hint").textContent = "asked for at this stop";
        h = recorded.map((w, k) => vaBits(w.va) + walkHtml(w, `walk of ${w.va} (CR3 ${w.cr3})`, "walk-recorded-" + k)).join("");
      } else {
        $("walk-hint").textContent = "";
        h = `<div class="dim">No page fault at this stop. ${live ? "Type an address above, or click a VMA or a frame, to see its walk." : ""}</div>`;
      }
    }
    box.innerHTML = h;
  }

  // ---- the virtual address space ----
  function renderVmas(v) {
    const box = $("vmas");
    if (!v.vmas || !v.vmas.length) { box.innerHTML = '<span class="dim">no address space</span>'; return; }
    const fault = v.fault ? big(v.fault.address) : null;
    const rows = [];
    let prevEnd = null;
    for (const m of v.vmas) {
      const s = big(m.start), e = big(m.end);
      if (prevEnd !== null && s > prevEnd) rows.push({ gap: s - prevEnd });
      rows.push({ m, s, e });
      prevEnd = e;
    }
    const W = 640, X = 48, BAR = 110;
    let y = 4, svg = "";
    const kindColor = { anon: "#8cc6a0", heap: "#6fb1d6", stack: "#e2a15c", file: "#b9a3e0" };
    // Highest addresses on top, as the usual pictures of an address space draw them.
    for (const r of rows.slice().reverse()) {
      if (r.gap !== undefined) {
        const pages = Number(r.gap >> 12n);
        const h = 6 + 2 * Math.log2(pages + 1);
        svg += `<rect x="${X}" y="${y}" width="${BAR}" height="${h}" fill="url(#gap)" stroke="#ccc" stroke-dasharray="3 2"/>
          <text x="${X + BAR + 8}" y="${y + h / 2 + 4}" fill="#999">gap of ${bytes(Number(r.gap))}</text>`;
        y += h;
        continue;
      }
      const m = r.m, pages = Number((r.e - r.s) >> 12n);
      const h = 16 + 5 * Math.log2(pages);
      const hit = fault !== null && fault >= r.s && fault < r.e;
      const filled = Math.min(1, m.resident / pages);
      svg += `<g class="vma" data-start="${esc(m.start)}"><title>${esc(m.start)}-${esc(m.end)} ${esc(m.perms)} ${esc(m.label)}: ${m.resident} of ${pages} pages present</title>
        <rect class="body" x="${X}" y="${y}" width="${BAR}" height="${h}" fill="${kindColor[m.kind] || "#ccc"}" fill-opacity=".35" stroke="${hit ? "#e0218a" : "#888"}" stroke-width="${hit ? 2.5 : 1}"/>
        <rect x="${X}" y="${y}" width="${BAR * filled}" height="${h}" fill="${kindColor[m.kind] || "#ccc"}"/>
        <text x="${X + BAR + 8}" y="${y + 12}">${esc(m.label)} ${esc(m.perms)}</text>
        <text x="${X + BAR + 8}" y="${y + 24}" fill="#666">${esc(m.start)}–${esc(m.end)} · ${bytes(pages * 4096)}, ${m.resident} present</text>`;
      if (hit) {
        const fy = y + h - h * Number(fault - r.s) / Number(r.e - r.s);
        svg += `<line x1="${X - 8}" x2="${X + BAR + 4}" y1="${fy}" y2="${fy}" stroke="#e0218a" stroke-width="2"/><text x="2" y="${fy + 4}" fill="#e0218a">fault</text>`;
      }
      svg += "</g>";
      y += h + 1;
    }
    box.innerHTML = `<svg width="${W}" height="${y + 6}"><defs><pattern id="gap" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0 6 L6 0" stroke="#ddd"/></pattern></defs>${svg}</svg>
      <div class="hint">bar fill: the share of the VMA's pages that are present. Click a VMA to walk its first address.</div>`;
    for (const g of box.querySelectorAll(".vma")) g.addEventListener("click", () => walk(g.dataset.start));
  }

  // ---- physical memory ----
  const KIND = {
    host: ["#4a4a4a", "host (outside the LWK's partition)"], free: ["#e9e9e4", "free (buddy blocks in two shades)"],
    kernel: ["#1f3b73", "kernel image and its tables"], "kernel-pt": ["#4169b8", "kernel page tables"],
    pt: ["#d3542c", "page tables"], anon: ["#3c9a5f", "anonymous"], heap: ["#2f8fbf", "heap"],
    stack: ["#e08a1e", "stack"], file: ["#8b6cc9", "file-backed (program, mmap)"], shared: ["#a8326e", "shared after fork"],
  };
  function rgba(hexColor, shade) {
    const n = parseInt(hexColor.slice(1), 16);
    let r = n >> 16, g = (n >> 8) & 255, b = n & 255;
    if (shade) { r = Math.round(r * shade); g = Math.round(g * shade); b = Math.round(b * shade); }
    return (255 << 24) | (b << 16) | (g << 8) | r; // little-endian ImageData word
  }

  function renderMemory(v) {
    const t0 = performance.now();
    const m = v.memory;
    const n = m.frames;
    let cell = 1;
    while (cell < 16 && n * (cell * 2) * (cell * 2) <= 512 * 600) cell *= 2;
    const cols = 512 / cell, rows = Math.ceil(n / cols);
    const img = new ImageData(cols, rows);
    const px = new Uint32Array(img.data.buffer);
    px.fill(rgba("#f7f7f7"));
    const colors = m.owners.map((o) => {
      const base = (KIND[o.kind] || ["#999"])[0];
      return rgba(base, o.pid ? 1 - ((o.pid * 37) % 5) * 0.08 : 1);
    });
    const freeA = rgba("#e9e9e4"), freeB = rgba("#dadad2");
    const runs = m.runs;
    for (let k = 0; k < runs.length; k++) {
      const [start, count, owner, , order] = runs[k];
      let c = colors[owner];
      if (m.owners[owner].kind === "free") c = ((start >> Math.max(order, 0)) & 1) ? freeB : freeA;
      px.fill(c, start, start + count);
    }
    const fresh = rgba("#e0218a");
    for (const [start, count] of m.fresh) px.fill(fresh, start, start + count);
    const canvas = $("map");
    canvas.width = cols * cell;
    canvas.height = rows * cell;
    const ctx = canvas.getContext("2d");
    if (cell === 1) ctx.putImageData(img, 0, 0);
    else {
      const small = document.createElement("canvas");
      small.width = cols; small.height = rows;
      small.getContext("2d").putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, 0, 0, cols * cell, rows * cell);
      if (cell >= 4) { // outline the new frames so they stand out even where they sit among others
        ctx.strokeStyle = "#000";
        for (const [start, count] of m.fresh)
          for (let f = start; f < start + count && f < start + 4096; f++)
            ctx.strokeRect((f % cols) * cell + 0.5, Math.floor(f / cols) * cell + 0.5, cell - 1, cell - 1);
      }
    }
    lastMap = { m, cols, cell };
    const prev = previousView(v);
    const delta = prev ? m.used - prev.memory.used : 0;
    $("mem-counts").innerHTML = `<span id="mem-used" data-used="${m.used}">${m.used.toLocaleString("en")} frames in use</span>`
      + ` (${delta >= 0 ? "+" : ""}${delta} since the stop before), ${m.free.toLocaleString("en")} free, ${m.total.toLocaleString("en")} in the partition`
      + ` (${bytes(m.total * 4096)}) · <span class="fresh" id="mem-fresh" data-fresh="${m.freshCount}">${m.freshCount} just allocated</span>`;
    const kinds = new Set(m.owners.map((o) => o.kind));
    $("legend").innerHTML = Object.entries(KIND).filter(([k]) => kinds.has(k))
      .map(([k, [c, label]]) => `<span><span class="sw" style="background:${c}"></span>${esc(label)}</span>`).join("")
      + '<span><span class="sw" style="background:#e0218a"></span>allocated since the stop before</span>'
      + '<span class="dim">shades tell processes apart</span>';
    const faulted = v.fault && v.fault.frame !== "0xffffffffffffffff" ? Number(big(v.fault.frame) >> 12n) : -1;
    const r = faulted >= 0 ? runAt(m, faulted) : null;
    $("map-hover").textContent = r ? "the fault's new frame: " + describeFrame(faulted, r) : "hover a frame to see its owner";
    const ms = performance.now() - t0;
    canvas.dataset.renderMs = ms.toFixed(2);
    window.jmckStats.mapMillis.push(ms);
    if (v.mapMillis !== undefined) window.jmckStats.serverMapMillis.push(v.mapMillis);
    if (v.mapCpuMillis !== undefined) window.jmckStats.serverMapCpuMillis.push(v.mapCpuMillis);
  }

  function previousView(v) {
    const i = views.indexOf(v);
    return i > 0 ? views[i - 1] : null;
  }

  function runAt(m, pfn) {
    let lo = 0, hi = m.runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, r = m.runs[mid];
      if (pfn < r[0]) hi = mid - 1;
      else if (pfn >= r[0] + r[1]) lo = mid + 1;
      else return r;
    }
    return null;
  }

  function frameAt(ev) {
    if (!lastMap) return null;
    const rect = $("map").getBoundingClientRect();
    const x = Math.floor((ev.clientX - rect.left) / lastMap.cell), y = Math.floor((ev.clientY - rect.top) / lastMap.cell);
    const pfn = y * lastMap.cols + x;
    const r = runAt(lastMap.m, pfn);
    return r ? { pfn, r } : null;
  }

  $("map").addEventListener("mousemove", (ev) => {
    const f = frameAt(ev);
    $("map-hover").textContent = f ? describeFrame(f.pfn, f.r) : "";
  });

  function describeFrame(pfn, run) {
    const f = { pfn, r: run };
    const [start, count, owner, vpn, order] = f.r;
    const o = lastMap.m.owners[owner];
    let text = `frame ${hex(BigInt(f.pfn) << 12n)} (number ${f.pfn}): ${o.label}`;
    if (vpn >= 0) text += `\nmaps virtual ${hex(BigInt(vpn + (f.pfn - start)) << 12n)}`;
    if (order >= 0) text += `${vpn >= 0 ? ", " : "\n"}in a ${o.kind === "free" ? "free" : "allocated"} buddy block of order ${order} (${bytes(4096 * 2 ** order)}) at ${hex(BigInt(start) << 12n)}`;
    else text += `${vpn >= 0 ? ", " : "\n"}one of ${count} such frames in a row`;
    if (lastMap.m.fresh.some(([s, c]) => f.pfn >= s && f.pfn < s + c)) text += " · allocated since the stop before";
    return text;
  }
  $("map").addEventListener("click", (ev) => {
    const f = frameAt(ev);
    if (f && f.r[3] >= 0) walk(hex(BigInt(f.r[3] + (f.pfn - f.r[0])) << 12n));
  });

  // ---- cores, processes, IKC, events ----
  function renderCores(v) {
    $("cores").innerHTML = (v.cores || []).map((c) => `<div class="core"><b>core ${c.id}</b>: ${esc(c.current)}
      <div class="q">run queue: ${c.queue.length ? c.queue.map(esc).join(" → ") : "empty"}</div></div>`).join("");
    $("ikc").innerHTML = v.ikc && v.ikc.length ? v.ikc.map((l) => `<div>${esc(l)}</div>`).join("")
      : '<span class="dim">none: every delegated call has been answered</span>';
    $("processes").innerHTML = (v.processes || []).map((p) => `<div><b>pid ${p.pid}</b> ${esc(p.comm)} (parent ${p.ppid})` +
      p.threads.map((t) => `<div>&nbsp; tid ${t.tid}: ${esc(t.state)} on core ${t.core}${t.waiting ? ", " + esc(t.waiting) : ""}</div>`).join("") + "</div>").join("")
      || '<span class="dim">no live process</span>';
  }

  function renderEvents(upTo) {
    const box = $("events");
    box.innerHTML = "";
    const from = Math.max(0, upTo - 4); // the stretches before the last few stops too, for context
    for (let i = from; i <= upTo; i++) {
      const v = views[i];
      if (v.eventsDropped) box.appendChild(el("div", "stopmark", `… ${v.eventsDropped} earlier events not kept`));
      for (const [kind, text] of v.events || []) box.appendChild(el("div", "ev " + kind, esc(text)));
      box.appendChild(el("div", "stopmark", `— stop ${v.n}: ${esc(v.title)}`));
    }
    box.scrollTop = box.scrollHeight;
  }

  // ---- commands (live) ----
  function api(path, params) {
    const q = new URLSearchParams(Object.assign({ token: JMCK.token, client }, params || {}));
    return `/api/${path}?${q}`;
  }

  async function command(line) {
    if (!live) return null;
    say("");
    const v = views[views.length - 1];
    try {
      const r = await fetch(api("command", { stop: v ? v.n : -1 }), { method: "POST", body: line });
      const j = await r.json();
      if (!j.ok) { say(j.message, true); if (r.status === 409) lostControl(j.message); return null; }
      if (j.message === "running") {
        // The poll may have seen the program end while this answer was on its way: "over" is later news, and final
        if (state !== "over") state = "running";
        following = true;
        updatePosition();
      }
      else say(j.message);
      return j;
    } catch (e) {
      say("cannot reach jmck: " + e.message, true);
      return null;
    }
  }

  async function walk(text) {
    text = (text || "").trim();
    if (!text) { say("type an address to walk: 0x hex, a symbol or a register ($rsp)", true); return; }
    if (!live) {
      say("this is a recorded session: only the walks recorded at each stop can be shown", true);
      return;
    }
    if (shown !== views.length - 1) show(views.length - 1);
    const j = await command("walk " + text);
    if (j && j.walk) { extraWalk = j.walk; renderWalks(views[shown]); }
  }

  for (const b of document.querySelectorAll("[data-cmd]")) b.addEventListener("click", () => command(b.dataset.cmd));
  $("pause").addEventListener("click", () => command("pause"));
  $("until").addEventListener("click", () => {
    const a = $("until-input").value.trim();
    if (!a) { say("type where to run until: a symbol such as main, or a 0x address", true); return; }
    command("until " + a);
  });
  $("walk").addEventListener("click", () => walk($("walk-input").value));
  $("until-input").addEventListener("keydown", (e) => { if (e.key === "Enter") $("until").click(); });
  $("walk-input").addEventListener("keydown", (e) => { if (e.key === "Enter") $("walk").click(); });
  $("prev").addEventListener("click", () => show(shown - 1));
  $("next").addEventListener("click", () => show(shown + 1));

  const KEYS = { s: "step", f: "fault", y: "syscall", g: "signal", c: "continue" };
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "[") show(shown - 1);
    else if (e.key === "]") show(shown + 1);
    else if (e.key === "u") { e.preventDefault(); $("until-input").focus(); }
    else if (e.key === "w") { e.preventDefault(); $("walk-input").focus(); }
    else if (e.key === "p" && live) command("pause");
    else if (KEYS[e.key] && live) {
      if (state === "stopped" && shown === views.length - 1) command(KEYS[e.key]);
    }
  });

  // ---- the live session: one long poll after another ----
  let polling = false;
  function lostControl(message) {
    $("banner").hidden = false;
    $("banner-text").textContent = message;
    $("takeover").hidden = false;
    $("status").textContent = "not in control";
    $("status").className = "status lost";
    for (const b of document.querySelectorAll("[data-cmd], #until, #pause")) b.disabled = true;
  }
  $("takeover").addEventListener("click", async () => {
    await fetch(api("takeover"), { method: "POST" });
    $("banner").hidden = true;
    say("this tab controls the session now");
    updatePosition();
  });

  async function poll() {
    if (polling) return;
    polling = true;
    let failures = 0;
    try {
      while (true) {
        let r;
        try {
          r = await fetch(api("views", { since: views.length, state }));
        } catch (e) {
          if (++failures >= 3 && state !== "over") {
            $("status").textContent = "lost jmck";
            $("status").className = "status lost";
            say("lost the connection to jmck: it has ended, or the network is down", true);
          }
          await new Promise((ok) => setTimeout(ok, 1000));
          continue;
        }
        failures = 0;
        const j = await r.json();
        if (r.status === 200 && !$("banner").hidden) { $("banner").hidden = true; say("this tab controls the session now"); }
        if (r.status === 409) { // another tab drives the session: say so, and ask again now and then (it may close)
          lostControl(j.message);
          await new Promise((ok) => setTimeout(ok, 2000));
          continue;
        }
        state = j.state;
        add(j.views);
        updatePosition();
        if (state === "over") {
          say("the program has ended: the session is over (the views stay here to look through)");
          return;
        }
      }
    } finally {
      polling = false;
    }
  }

  window.addEventListener("pagehide", () => { if (live) navigator.sendBeacon(api("release"), ""); });

  if (live) poll();
  else {
    document.title = JMCK.title;
    state = "over";
    add(JMCK.views);
    const m = /stop=(\d+)/.exec(location.hash);
    show(m ? Math.min(views.length, Math.max(1, +m[1])) - 1 : 0);
  }
  // Where frame pfn is drawn, in the window's coordinates (for tests), after scrolling it into view.
  function frameCentre(pfn) {
    const c = $("map");
    const y = Math.floor(pfn / lastMap.cols) * lastMap.cell;
    $("map-wrap").scrollTop = Math.max(0, y - 40);
    c.scrollIntoView({ block: "nearest" });
    const rect = c.getBoundingClientRect();
    return { x: rect.left + (pfn % lastMap.cols) * lastMap.cell + lastMap.cell / 2, y: rect.top + y + lastMap.cell / 2 };
  }
  window.jmck = { views, show, command, walk, frameCentre, get shown() { return shown; }, get state() { return state; } };
})();
