// lightgrad playground: the page. Plain JavaScript, no libraries, nothing from other origins.
// The server trains the network in lightgrad; this page sends settings and commands over a
// WebSocket and draws what comes back (see lightgrad/playground/server.py for the protocol).
"use strict";

(function () {
  // ------------------------------------------------------------------ constants
  const FEATURES = [
    { id: "x1", label: "X\u2081", f: (x, y) => x },
    { id: "x2", label: "X\u2082", f: (x, y) => y },
    { id: "x1sq", label: "X\u2081\u00B2", f: (x, y) => x * x },
    { id: "x2sq", label: "X\u2082\u00B2", f: (x, y) => y * y },
    { id: "x1x2", label: "X\u2081X\u2082", f: (x, y) => x * y },
    { id: "sinx1", label: "sin(X\u2081)", f: (x, y) => Math.sin(x) },
    { id: "sinx2", label: "sin(X\u2082)", f: (x, y) => Math.sin(y) },
  ];
  const DATASETS = [
    { id: "circle", label: "Circle", problem: "classification" },
    { id: "xor", label: "Exclusive or", problem: "classification" },
    { id: "gauss", label: "Gaussian", problem: "classification" },
    { id: "spiral", label: "Spiral", problem: "classification" },
    { id: "plane", label: "Plane", problem: "regression" },
    { id: "multigauss", label: "Multi Gaussian", problem: "regression" },
  ];
  const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const DROPOUTS = [0, 0.1, 0.2, 0.3, 0.4, 0.5];
  const CHOICES = {
    activation: ["relu", "tanh", "sigmoid", "linear"],
    reg: ["none", "l1", "l2"],
    optimizer: ["sgd", "momentum", "adam", "rmsprop"],
    problem: ["classification", "regression"],
    dataset: DATASETS.map((d) => d.id),
  };
  const BOUNDS = { noise: [0, 50], ratio: [10, 90], batch: [1, 30], points: [20, 2000],
    lr: [1e-5, 10], reg_rate: [0, 10], dropout: [0, 0.8], seed: [0, 2147483647] };
  const MAX_LAYERS = 6, MAX_NEURONS = 8;
  const DEFAULTS = {
    dataset: "circle", problem: "classification", noise: 0, ratio: 50, batch: 10, points: 500,
    features: ["x1", "x2"], layers: [4, 2], activation: "tanh", lr: 0.03, reg: "none",
    reg_rate: 0, optimizer: "sgd", dropout: 0, seed: 1,
  };
  const NODE = 36, PITCH = 50, HEAD = 52, INPUT_X = 96;
  const DOMAIN = 6;
  const COLORS = { neg: [245, 147, 34], mid: [232, 234, 235], pos: [8, 119, 189] };

  // ------------------------------------------------------------------ state
  let settings = clone(DEFAULTS);
  const view = { test: false, discretize: false, grads: false };
  let ws = null, reconnectTimer = null, reconnectDelay = 500;
  let playing = false;
  let data = null;          // the last "data" message (points + the settings it was built from)
  let frame = null;         // the last "frame" message
  let history = [];         // [{epoch, train, test}]
  let frameTimes = [];
  let linkEls = [];         // [{el, layer, j, i}]
  const stats = { frames: 0, ups: 0, dataMessages: 0, errors: 0, downloads: 0, settings: null,
    epoch: 0, testLoss: null, trainLoss: null };
  window.__playground = stats;  // read by the end-to-end test

  const $ = (id) => document.getElementById(id);
  function clone(o) { return JSON.parse(JSON.stringify(o)); }

  // ------------------------------------------------------------------ colours
  const LUT = new Uint8ClampedArray(256 * 3);
  for (let q = 0; q < 256; q++) {
    const v = q / 127.5 - 1;
    const [a, b, t] = v < 0 ? [COLORS.mid, COLORS.neg, -v] : [COLORS.mid, COLORS.pos, v];
    for (let c = 0; c < 3; c++) LUT[q * 3 + c] = Math.round(a[c] + (b[c] - a[c]) * t);
  }
  function colorOf(v) {
    const q = Math.max(0, Math.min(255, Math.round((Math.max(-1, Math.min(1, v)) + 1) * 127.5)));
    return `rgb(${LUT[q * 3]},${LUT[q * 3 + 1]},${LUT[q * 3 + 2]})`;
  }
  function decode(b64) {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function paint(canvas, bytes, n, discretize) {
    const ctx = canvas.getContext("2d");
    if (canvas.width !== n) { canvas.width = n; canvas.height = n; }
    const img = ctx.createImageData(n, n);
    for (let k = 0; k < n * n; k++) {
      let q = bytes[k];
      if (discretize) q = q >= 128 ? 255 : 0;
      img.data[4 * k] = LUT[3 * q];
      img.data[4 * k + 1] = LUT[3 * q + 1];
      img.data[4 * k + 2] = LUT[3 * q + 2];
      img.data[4 * k + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }
  function paintFunction(canvas, f, n) {
    const values = new Float64Array(n * n);
    let max = 1e-9;
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const x = -DOMAIN + (2 * DOMAIN * c) / (n - 1), y = DOMAIN - (2 * DOMAIN * r) / (n - 1);
        const v = f(x, y);
        values[r * n + c] = v;
        max = Math.max(max, Math.abs(v));
      }
    }
    const bytes = new Uint8Array(n * n);
    for (let k = 0; k < n * n; k++) bytes[k] = Math.round((values[k] / max + 1) * 127.5);
    paint(canvas, bytes, n, false);
  }

  // ------------------------------------------------------------------ settings <-> URL
  function clamp(v, [lo, hi]) { return Math.max(lo, Math.min(hi, v)); }
  function normalize(s) {
    const out = clone(DEFAULTS);
    for (const k of Object.keys(CHOICES)) if (CHOICES[k].includes(s[k])) out[k] = s[k];
    for (const k of ["noise", "ratio", "batch", "points", "seed"]) {
      const v = Number(s[k]);
      if (s[k] !== undefined && s[k] !== "" && Number.isFinite(v)) out[k] = clamp(Math.round(v), BOUNDS[k]);
    }
    for (const k of ["lr", "reg_rate", "dropout"]) {
      const v = Number(s[k]);
      if (s[k] !== undefined && s[k] !== "" && Number.isFinite(v)) out[k] = clamp(v, BOUNDS[k]);
    }
    if (Array.isArray(s.features)) {
      const f = FEATURES.map((x) => x.id).filter((id) => s.features.includes(id));
      if (f.length) out.features = f;
    }
    if (Array.isArray(s.layers)) {
      out.layers = s.layers.slice(0, MAX_LAYERS).map((n) => clamp(Math.round(Number(n)) || 1, [1, MAX_NEURONS]));
    }
    const ds = DATASETS.find((d) => d.id === out.dataset);
    if (ds.problem !== out.problem) {  // the data set decides, unless none was given
      if (CHOICES.dataset.includes(s.dataset)) out.problem = ds.problem;
      else out.dataset = DATASETS.find((d) => d.problem === out.problem).id;
    }
    return out;
  }
  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const s = {};
    for (const [k, v] of params) {
      if (k === "features") s.features = v ? v.split(",") : [];
      else if (k === "layers") s.layers = v ? v.split(",").map(Number) : [];
      else if (k in DEFAULTS) s[k] = k in CHOICES ? v : Number(v);
    }
    view.test = params.get("test") === "1";
    view.discretize = params.get("discretize") === "1";
    view.grads = params.get("grads") === "1";
    return normalize(s);
  }
  function writeHash() {
    const p = new URLSearchParams();
    for (const k of Object.keys(DEFAULTS)) {
      const v = settings[k];
      p.set(k, Array.isArray(v) ? v.join(",") : String(v));
    }
    p.set("test", view.test ? "1" : "0");
    p.set("discretize", view.discretize ? "1" : "0");
    p.set("grads", view.grads ? "1" : "0");
    const hash = "#" + p.toString().replace(/%2C/g, ",");
    if (location.hash !== hash) history_replace(hash);
  }
  function history_replace(hash) { window.history.replaceState(null, "", hash); }

  // ------------------------------------------------------------------ controls
  function fillSelect(id, values, fmt) {
    const el = $(id);
    el.innerHTML = "";
    for (const v of values) {
      const o = document.createElement("option");
      o.value = String(v);
      o.textContent = fmt ? fmt(v) : String(v);
      el.appendChild(o);
    }
  }
  function ensureOption(id, v) {
    const el = $(id);
    if (![...el.options].some((o) => Number(o.value) === Number(v))) {
      const o = document.createElement("option");
      o.value = String(v);
      o.textContent = String(v);
      el.appendChild(o);
    }
    el.value = [...el.options].find((o) => Number(o.value) === Number(v)).value;
  }
  function syncControls() {
    ensureOption("lr", settings.lr);
    ensureOption("reg_rate", settings.reg_rate);
    ensureOption("dropout", settings.dropout);
    for (const id of ["activation", "reg", "optimizer", "problem"]) $(id).value = settings[id];
    $("seed").value = String(settings.seed);
    for (const id of ["ratio", "noise", "batch"]) $(id).value = String(settings[id]);
    $("ratio-value").textContent = settings.ratio + "%";
    $("noise-value").textContent = String(settings.noise);
    $("batch-value").textContent = String(settings.batch);
    $("reg_rate").disabled = settings.reg === "none";
    $("show-test").checked = view.test;
    $("discretize").checked = view.discretize;
    $("show-grads").checked = view.grads;
    for (const el of document.querySelectorAll(".dataset")) {
      el.classList.toggle("selected", el.dataset.dataset === settings.dataset);
    }
    $("layer-count").textContent = String(settings.layers.length);
    $("layer-word").textContent = settings.layers.length === 1 ? "hidden layer" : "hidden layers";
    $("add-layer").disabled = settings.layers.length >= MAX_LAYERS;
    $("remove-layer").disabled = settings.layers.length === 0;
  }
  function change(patch) {
    const next = clone(settings);
    Object.assign(next, patch);
    if (patch.dataset && !patch.problem) {
      next.problem = DATASETS.find((d) => d.id === patch.dataset).problem;
    }
    if (patch.problem && !patch.dataset && DATASETS.find((d) => d.id === next.dataset).problem !== patch.problem) {
      next.dataset = DATASETS.find((d) => d.problem === patch.problem).id;
    }
    settings = normalize(next);
    syncControls();
    writeHash();
    sendConfig();
  }
  function changeView(patch) {
    Object.assign(view, patch);
    syncControls();
    writeHash();
    drawAll();
  }

  function setupControls() {
    fillSelect("lr", LEARNING_RATES);
    fillSelect("reg_rate", REG_RATES);
    fillSelect("dropout", DROPOUTS);
    $("lr").addEventListener("change", (e) => change({ lr: Number(e.target.value) }));
    $("reg_rate").addEventListener("change", (e) => change({ reg_rate: Number(e.target.value) }));
    $("dropout").addEventListener("change", (e) => change({ dropout: Number(e.target.value) }));
    for (const id of ["activation", "reg", "optimizer", "problem"]) {
      $(id).addEventListener("change", (e) => change({ [id]: e.target.value }));
    }
    $("seed").addEventListener("change", (e) => change({ seed: Number(e.target.value) }));
    const newSeed = () => change({ seed: Math.floor(Math.random() * 1e6) });
    $("regenerate").addEventListener("click", newSeed);
    $("regenerate-data").addEventListener("click", newSeed);
    for (const id of ["ratio", "noise", "batch"]) {
      $(id).addEventListener("input", (e) => {
        $(id + "-value").textContent = e.target.value + (id === "ratio" ? "%" : "");
      });
      $(id).addEventListener("change", (e) => change({ [id]: Number(e.target.value) }));
    }
    $("show-test").addEventListener("change", (e) => changeView({ test: e.target.checked }));
    $("discretize").addEventListener("change", (e) => changeView({ discretize: e.target.checked }));
    $("show-grads").addEventListener("change", (e) => changeView({ grads: e.target.checked }));
    $("add-layer").addEventListener("click", () => {
      if (settings.layers.length < MAX_LAYERS) change({ layers: [...settings.layers, 2] });
    });
    $("remove-layer").addEventListener("click", () => {
      if (settings.layers.length) change({ layers: settings.layers.slice(0, -1) });
    });
    $("play").addEventListener("click", () => send({ type: playing ? "pause" : "play" }));
    $("step").addEventListener("click", () => send({ type: "step" }));
    $("reset").addEventListener("click", () => send({ type: "reset" }));
    $("export").addEventListener("click", exportPython);
    $("save").addEventListener("click", () => send({ type: "save" }));
    document.addEventListener("keydown", (e) => {
      if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
      if (e.key === " ") { e.preventDefault(); $("play").click(); }
    });
    window.addEventListener("hashchange", () => {
      const s = readHash();
      if (JSON.stringify(s) !== JSON.stringify(settings)) { settings = s; syncControls(); sendConfig(); }
      else { syncControls(); drawAll(); }
    });
    window.addEventListener("resize", () => { if (data) buildNetwork(); });
    const cb = $("colorbar");
    const bytes = new Uint8Array(cb.width);
    for (let i = 0; i < cb.width; i++) bytes[i] = Math.round((255 * i) / (cb.width - 1));
    const ctx = cb.getContext("2d");
    const img = ctx.createImageData(cb.width, cb.height);
    for (let r = 0; r < cb.height; r++) for (let c = 0; c < cb.width; c++) {
      const k = 4 * (r * cb.width + c), q = bytes[c];
      img.data.set([LUT[3 * q], LUT[3 * q + 1], LUT[3 * q + 2], 255], k);
    }
    ctx.putImageData(img, 0, 0);
    buildDatasetButtons();
  }

  // a small picture of each data set (drawn here: decoration only, the real points come from
  // the server)
  function buildDatasetButtons() {
    let seed = 7;
    const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    const shapes = {
      circle: () => { const r = rand() < 0.5 ? rand() * 2.5 : 3.5 + rand() * 1.5, t = rand() * 6.283;
        return [r * Math.sin(t), r * Math.cos(t), r < 3 ? 1 : -1]; },
      xor: () => { const x = rand() * 10 - 5, y = rand() * 10 - 5; return [x, y, x * y < 0 ? 1 : -1]; },
      gauss: () => { const c = rand() < 0.5 ? 2 : -2;
        return [c + (rand() + rand() + rand() - 1.5) * 1.6, c + (rand() + rand() + rand() - 1.5) * 1.6, c > 0 ? 1 : -1]; },
      spiral: () => { const i = rand(), d = rand() < 0.5 ? 0 : Math.PI, r = i * 5, t = 1.75 * i * 6.283 + d;
        return [r * Math.sin(t), r * Math.cos(t), d ? -1 : 1]; },
      plane: () => { const x = rand() * 12 - 6, y = rand() * 12 - 6; return [x, y, (x + y) / 10]; },
      multigauss: () => { const x = rand() * 12 - 6, y = rand() * 12 - 6;
        const cs = [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]];
        let best = 0; for (const [cx, cy, s] of cs) { const v = s * Math.max(0, 1 - Math.hypot(x - cx, y - cy) / 2); if (Math.abs(v) > Math.abs(best)) best = v; }
        return [x, y, best]; },
    };
    const box = $("datasets");
    for (const d of DATASETS) {
      const b = document.createElement("button");
      b.className = "dataset";
      b.dataset.dataset = d.id;
      b.title = `${d.label} (${d.problem})`;
      const c = document.createElement("canvas");
      c.width = 72; c.height = 72;
      const ctx = c.getContext("2d");
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 72, 72);
      for (let k = 0; k < 160; k++) {
        const [x, y, v] = shapes[d.id]();
        ctx.fillStyle = colorOf(v);
        ctx.beginPath();
        ctx.arc(((x + 6) / 12) * 72, ((6 - y) / 12) * 72, 1.8, 0, 6.283);
        ctx.fill();
      }
      b.appendChild(c);
      b.appendChild(document.createTextNode(d.label));
      b.addEventListener("click", () => change({ dataset: d.id }));
      box.appendChild(b);
    }
  }

  // ------------------------------------------------------------------ network drawing
  function buildNetwork() {
    const s = data.settings;
    const net = $("network"), svg = $("links");
    for (const el of [...net.querySelectorAll(".node, .layer-head")]) el.remove();
    svg.innerHTML = "";
    linkEls = [];
    const width = Math.max(net.clientWidth, 420);
    const columns = s.layers.length + 2;
    const colX = (c) => (c === 0 ? INPUT_X : INPUT_X + ((width - INPUT_X - NODE - 10) * c) / (columns - 1));
    const rows = Math.max(FEATURES.length, ...s.layers, 1);
    const height = HEAD + rows * PITCH;
    net.style.height = height + "px";
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(height));
    const pos = [];  // pos[column][k] = {x, y} of the node's top-left corner
    // inputs: every feature has a node; the active ones feed the network
    const inputs = [];
    FEATURES.forEach((f, r) => {
      const active = s.features.includes(f.id);
      const el = nodeEl("input" + (active ? "" : " inactive"), colX(0), HEAD + r * PITCH, `node-in-${f.id}`);
      el.title = active ? `${f.label}: click to remove this feature` : `${f.label}: click to add this feature`;
      const label = document.createElement("span");
      label.className = "node-label";
      label.textContent = f.label;
      el.appendChild(label);
      paintFunction(el.querySelector("canvas"), f.f, data.neuron_grid);
      el.addEventListener("click", () => {
        const on = settings.features.includes(f.id);
        if (on && settings.features.length === 1) return;  // keep at least one input
        change({ features: on ? settings.features.filter((x) => x !== f.id) : [...settings.features, f.id] });
      });
      if (active) inputs.push({ x: colX(0), y: HEAD + r * PITCH });
    });
    pos.push(inputs);
    s.layers.forEach((n, l) => {
      const x = colX(l + 1);
      const col = [];
      for (let j = 0; j < n; j++) {
        const el = nodeEl("hidden", x, HEAD + j * PITCH, `node-h${l}-${j}`);
        const bias = document.createElement("div");
        bias.className = "bias";
        el.appendChild(bias);
        el.addEventListener("mouseenter", (e) => hover(e, () => nodeText(l, j)));
        el.addEventListener("mouseleave", unhover);
        col.push({ x, y: HEAD + j * PITCH });
      }
      pos.push(col);
      const head = document.createElement("div");
      head.className = "layer-head";
      head.style.left = x + "px";
      const buttons = document.createElement("div");
      buttons.className = "buttons";
      const plus = smallButton("+", `add a neuron to layer ${l + 1}`, `add-neuron-${l}`, n >= MAX_NEURONS, () => {
        const layers = [...settings.layers]; layers[l] = Math.min(MAX_NEURONS, layers[l] + 1); change({ layers });
      });
      const minus = smallButton("\u2212", `remove a neuron from layer ${l + 1}`, `remove-neuron-${l}`, n <= 1, () => {
        const layers = [...settings.layers]; layers[l] = Math.max(1, layers[l] - 1); change({ layers });
      });
      buttons.append(plus, minus);
      head.appendChild(buttons);
      head.appendChild(document.createTextNode(n === 1 ? "1 neuron" : `${n} neurons`));
      net.appendChild(head);
    });
    const outX = colX(columns - 1), outY = HEAD + ((Math.min(rows, Math.max(s.layers[s.layers.length - 1] || FEATURES.length, 1)) - 1) * PITCH) / 2;
    const out = nodeEl("output", outX, outY, "node-out");
    const ob = document.createElement("div");
    ob.className = "bias";
    out.appendChild(ob);
    out.title = "the output";
    pos.push([{ x: outX, y: outY }]);
    // links, layer by layer: weights[l][j][i] from node i of column l to node j of column l+1
    for (let l = 0; l + 1 < pos.length; l++) {
      pos[l + 1].forEach((b, j) => {
        pos[l].forEach((a, i) => {
          const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
          const x1 = a.x + NODE, y1 = a.y + NODE / 2, x2 = b.x, y2 = b.y + NODE / 2, mx = (x1 + x2) / 2;
          p.setAttribute("d", `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`);
          p.setAttribute("stroke", "#ccc");
          p.setAttribute("stroke-width", "1");
          p.addEventListener("mouseenter", (e) => hover(e, () => linkText(l, j, i)));
          p.addEventListener("mouseleave", unhover);
          svg.appendChild(p);
          linkEls.push({ el: p, layer: l, j, i });
        });
      });
    }
  }
  function nodeEl(kind, x, y, id) {
    const el = document.createElement("div");
    el.className = "node " + kind;
    el.id = id;
    el.style.left = x + "px";
    el.style.top = y + "px";
    const c = document.createElement("canvas");
    c.width = 25; c.height = 25;
    el.appendChild(c);
    $("network").appendChild(el);
    return el;
  }
  function smallButton(text, title, id, disabled, onclick) {
    const b = document.createElement("button");
    b.className = "round tiny";
    b.textContent = text;
    b.title = title;
    b.id = id;
    b.disabled = disabled;
    b.addEventListener("click", onclick);
    return b;
  }
  function fmt(v, d = 3) {
    if (v === null || v === undefined) return "\u2013";
    const a = Math.abs(v);
    return a !== 0 && a < 0.001 ? Number(v).toExponential(1) : Number(v).toFixed(d);
  }
  function linkText(l, j, i) {
    if (!frame) return "";
    const w = frame.weights[l][j][i], g = frame.grads[l][j][i];
    return `weight ${fmt(w)}  \u00B7  gradient ${Number(g).toExponential(2)}`;
  }
  function nodeText(l, j) {
    if (!frame) return "";
    return `bias ${fmt(frame.biases[l][j])}`;
  }
  let hoverFn = null;
  function hover(e, fn) {
    hoverFn = fn;
    const card = $("hovercard");
    card.textContent = fn();
    card.style.left = e.clientX + 12 + "px";
    card.style.top = e.clientY + 12 + "px";
    card.hidden = false;
  }
  function unhover() { hoverFn = null; $("hovercard").hidden = true; }

  function drawNetwork() {
    if (!frame || !data) return;
    const s = data.settings;
    // neuron heatmaps
    frame.neurons.forEach((layer, l) => layer.forEach((b64, j) => {
      const el = $(`node-h${l}-${j}`);
      if (el) paint(el.querySelector("canvas"), decode(b64), data.neuron_grid, false);
    }));
    const outEl = $("node-out");
    if (outEl) paintDownsampled(outEl.querySelector("canvas"));
    // biases
    frame.biases.forEach((layer, l) => layer.forEach((b, j) => {
      const el = l < s.layers.length ? $(`node-h${l}-${j}`) : $("node-out");
      const sq = el && el.querySelector(".bias");
      if (sq) sq.style.background = colorOf(b);
    }));
    // links: weights, or gradients in "show gradients" mode
    let maxG = 1e-12;
    if (view.grads) for (const m of frame.grads) for (const row of m) for (const g of row) maxG = Math.max(maxG, Math.abs(g));
    for (const { el, layer, j, i } of linkEls) {
      const w = frame.weights[layer] && frame.weights[layer][j] ? frame.weights[layer][j][i] : 0;
      if (view.grads) {
        const g = frame.grads[layer][j][i];
        el.setAttribute("stroke", -g >= 0 ? "#0877bd" : "#f59322");
        el.setAttribute("stroke-width", (0.6 + (7 * Math.abs(g)) / maxG).toFixed(2));
        el.classList.add("backprop");
      } else {
        el.setAttribute("stroke", w >= 0 ? "#0877bd" : "#f59322");
        el.setAttribute("stroke-width", (0.5 + Math.min(Math.abs(w), 5) * 1.2).toFixed(2));
        el.classList.remove("backprop");
      }
    }
    if (hoverFn) $("hovercard").textContent = hoverFn();
  }
  function paintDownsampled(canvas) {
    const n = data.grid, m = data.neuron_grid, k = n / m, full = decode(frame.output);
    const small = new Uint8Array(m * m);
    for (let r = 0; r < m; r++) for (let c = 0; c < m; c++) small[r * m + c] = full[(r * k + (k >> 1)) * n + c * k + (k >> 1)];
    paint(canvas, small, m, view.discretize);
  }

  // ------------------------------------------------------------------ output drawing
  function drawOutput() {
    if (!frame || !data) return;
    paint($("heatmap"), decode(frame.output), data.grid, view.discretize);
    const c = $("points"), ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    const classify = data.settings.problem === "classification";
    const wrong = { train: new Set(frame.wrong_train || []), test: new Set(frame.wrong_test || []) };
    const sets = view.test ? ["train", "test"] : ["train"];
    for (const which of sets) {
      data[which].forEach(([x, y, t], k) => {
        const px = ((x + DOMAIN) / (2 * DOMAIN)) * c.width, py = ((DOMAIN - y) / (2 * DOMAIN)) * c.height;
        const bad = wrong[which].has(k);
        ctx.beginPath();
        ctx.arc(px, py, bad ? 5.5 : 3.2, 0, 2 * Math.PI);
        ctx.fillStyle = classify ? (t > 0.5 ? "#0877bd" : "#f59322") : colorOf(t);
        ctx.fill();
        ctx.lineWidth = bad ? 2 : 1;
        ctx.strokeStyle = bad ? "#d0021b" : which === "test" ? "#000" : "#fff";
        ctx.stroke();
      });
    }
    $("epoch").textContent = String(frame.epoch).padStart(6, "0").replace(/(\d{3})(\d{3})$/, "$1,$2");
    $("test-loss").textContent = fmt(frame.test_loss);
    $("train-loss").textContent = fmt(frame.train_loss);
    $("test-acc").textContent = frame.test_accuracy !== undefined ? `(accuracy ${(100 * frame.test_accuracy).toFixed(1)}%)` : "";
    $("train-acc").textContent = frame.train_accuracy !== undefined ? `(accuracy ${(100 * frame.train_accuracy).toFixed(1)}%)` : "";
    drawChart();
  }
  function drawChart() {
    const c = $("loss-chart"), ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    if (history.length < 2) return;
    const maxE = Math.max(history[history.length - 1].epoch, 1);
    let maxL = 1e-9;
    for (const h of history) maxL = Math.max(maxL, h.train || 0, h.test || 0);
    for (const [key, color] of [["train", "#aaa"], ["test", "#222"]]) {
      ctx.beginPath();
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      history.forEach((h, k) => {
        const v = h[key] === null ? maxL : h[key];
        const x = (h.epoch / maxE) * (c.width - 2) + 1, y = c.height - 2 - (v / maxL) * (c.height - 6);
        if (k === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.stroke();
    }
  }
  function drawAll() { drawNetwork(); drawOutput(); }

  // ------------------------------------------------------------------ server connection
  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }
  function sendConfig() {
    const resume = playing;
    send({ type: "config", settings });
    if (resume) send({ type: "play" });
  }
  function setPlaying(p) {
    playing = p;
    if (!p) { frameTimes = []; stats.ups = 0; $("ups").textContent = "0"; }
    $("play").classList.toggle("playing", p);
    $("play").setAttribute("aria-pressed", String(p));
    $("play").setAttribute("aria-label", p ? "pause" : "play");
  }
  function showError(text) {
    const el = $("error");
    el.textContent = text;
    el.hidden = !text;
  }
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(`${proto}//${location.host}/ws`);
    $("connection").textContent = "connecting\u2026";
    ws.addEventListener("open", () => {
      reconnectDelay = 500;
      $("connection").textContent = "connected";
      $("connection").className = "connection ok";
      send({ type: "config", settings });
    });
    ws.addEventListener("message", (e) => onMessage(JSON.parse(e.data)));
    ws.addEventListener("close", () => {
      setPlaying(false);
      $("connection").textContent = "disconnected (is `lightgrad playground` still running?)";
      $("connection").className = "connection down";
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(connect, reconnectDelay);
      reconnectDelay = Math.min(reconnectDelay * 2, 10000);
    });
  }
  function onMessage(msg) {
    switch (msg.type) {
      case "hello":
        break;
      case "state":
        setPlaying(msg.playing);
        break;
      case "data":
        data = msg;
        frame = null;
        history = [];
        stats.dataMessages++;
        stats.settings = msg.settings;
        showError("");
        buildNetwork();
        break;
      case "frame": {
        frame = msg;
        stats.frames++;
        stats.epoch = msg.epoch;
        stats.partial = msg.partial;
        stats.testLoss = msg.test_loss;
        stats.trainLoss = msg.train_loss;
        const now = performance.now();
        frameTimes.push(now);
        while (frameTimes.length && now - frameTimes[0] > 2000) frameTimes.shift();
        stats.ups = playing && frameTimes.length > 1 ? (1000 * (frameTimes.length - 1)) / (now - frameTimes[0]) : 0;
        $("ups").textContent = stats.ups.toFixed(1);
        const last = history[history.length - 1];
        if (!last || last.epoch !== msg.epoch || msg.epoch === 0) {
          if (last && last.epoch === msg.epoch) history.pop();
          history.push({ epoch: msg.epoch, train: msg.train_loss, test: msg.test_loss });
        }
        if (history.length > 2000) history = history.filter((_, k) => k % 2 === 0 || k === history.length - 1);
        if (msg.diverged) showError("The training diverged (the weights are no longer finite numbers): lower the learning rate and press reset.");
        drawAll();
        send({ type: "ack" });  // flow control: the server waits for the page to keep up
        break;
      }
      case "model":
        download(new Blob([decode(msg.data)], { type: "application/octet-stream" }), msg.filename);
        break;
      case "error":
        stats.errors++;
        showError(`server (${msg.status}): ${msg.message}`);
        break;
      default:
        break;
    }
  }
  function download(blob, filename) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    stats.downloads++;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
  async function exportPython() {
    const epochs = frame && frame.epoch > 0 ? frame.epoch : 500;
    const settingsNow = data ? data.settings : settings;
    try {
      const r = await fetch("/api/export", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ settings: settingsNow, epochs }),
      });
      if (!r.ok) { showError(`export failed (${r.status}): ${await r.text()}`); return; }
      download(await r.blob(), `playground_${settingsNow.dataset}.py`);
    } catch (err) {
      showError(`export failed: ${err}`);
    }
  }

  // ------------------------------------------------------------------ start
  settings = readHash();
  setupControls();
  syncControls();
  writeHash();
  connect();
})();
