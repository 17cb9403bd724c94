/* dumb-pypi's pages for people: filter-as-you-type over every project, and copy buttons.
   It loads only this site's own search/*.js files, as scripts, so it works from file:// too. */
(function () {
  "use strict";

  const STEP = 50;  // results shown at first, and added by "Show more"
  const data = {token: null, names: null, versions: [], shards: {}};

  // The search data files call these as they load.
  window.dumbPypi = {
    // `token` names the list of projects; `versions` name each shard's rows, which change more often.
    names(token, text, versions) {
      if (token === data.token) {
        data.names = text ? text.split("\n") : [];
        data.versions = versions;
      }
    },
    rows(token, shard, rows) {
      // Rows of another build (a cached file) would name the wrong projects.
      if (token === data.token) data.shards[shard] = rows;
    },
  };

  const loads = {};
  function load(src) {
    if (!loads[src]) {
      loads[src] = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = () => resolve();
        script.onerror = () => { delete loads[src]; reject(new Error("cannot load " + src)); };
        document.head.appendChild(script);
      });
    }
    return loads[src];
  }

  // As PEP 503 normalises names; whitespace separates terms that must all match.
  function terms(query) {
    return query.toLowerCase().split(/\s+/).map((t) => t.replace(/[-_.]+/g, "-")).filter(Boolean);
  }

  // Ids of matching projects: exact name, then names starting with the first
  // term, then names with a word starting with it, then any other match;
  // each group in name order.
  function search(words) {
    const first = words[0];
    const groups = [[], [], [], []];
    const names = data.names;
    outer: for (let id = 0; id < names.length; id++) {
      const name = names[id];
      const at = name.indexOf(first);
      if (at < 0) continue;
      for (let i = 1; i < words.length; i++) {
        if (name.indexOf(words[i]) < 0) continue outer;
      }
      const group = name.length === first.length ? 0 : at === 0 ? 1 : name.indexOf("-" + first) >= 0 ? 2 : 3;
      groups[group].push(id);
    }
    return groups[0].concat(groups[1], groups[2], groups[3]);
  }

  function day(seconds) {
    return new Date(seconds * 1000).toISOString().slice(0, 10);
  }

  function setUpSearch(form) {
    const box = form.querySelector("input");
    const status = document.getElementById("status");
    const results = document.getElementById("results");
    const body = results.querySelector("tbody");
    const more = document.getElementById("more");
    const all = document.getElementById("all");
    const root = form.dataset.root;
    const base = form.dataset.search;
    const shardSize = Number(form.dataset.shard);
    const version = "?v=" + encodeURIComponent(form.dataset.token);
    data.token = form.dataset.token;
    let generation = 0;
    let matches = [];
    let limit = STEP;
    let ready = null;

    function names() {
      if (!ready) {
        form.dataset.state = "loading";
        ready = load(base + "names.js" + version).then(() => {
          if (data.names === null) throw new Error("the project list is from another build");
          form.dataset.state = "ready";
        });
        ready.catch(() => {
          ready = null;
          form.dataset.state = "error";
          status.textContent = "The project list could not be loaded; reload the page, or browse the list below.";
        });
      }
      return ready;
    }

    function row(id) {
      const name = data.names[id];
      const shard = data.shards[Math.floor(id / shardSize)];
      const fields = shard ? shard[id % shardSize] : null;
      const tr = document.createElement("tr");
      const link = document.createElement("a");
      link.href = root + "project/" + name + "/";
      link.textContent = fields ? fields[0] : name;
      tr.insertCell().appendChild(link);
      tr.insertCell().textContent = fields ? fields[1] : "";
      tr.insertCell().textContent = fields && fields[2] !== null ? day(fields[2]) : "";
      tr.insertCell().textContent = fields && fields[3] ? fields[3] : "";
      return tr;
    }

    // Shows the matches at once; rows whose shard of details is still on its
    // way show their name alone until it arrives.
    function show(query, started, mine) {
      const shown = matches.slice(0, limit);
      const wanted = new Set(shown.map((id) => Math.floor(id / shardSize)));
      const pending = [...wanted].filter((k) => !data.shards[k]).map(
        // A shard that fails to load leaves its rows with just their names.
        (k) => load(base + "rows" + k + ".js?v=" + encodeURIComponent(data.versions[k])).catch(() => null));
      const render = () => {
        if (mine !== generation) return;
        body.replaceChildren(...shown.map(row));
        results.dataset.complete = pending.length ? "no" : "yes";
      };
      render();
      const count = matches.length.toLocaleString("en");
      const quoted = "\u201c" + query + "\u201d";
      status.textContent = matches.length === 0 ? "No project matches " + quoted + "."
        : matches.length === 1 ? "1 project matches " + quoted + "."
        : shown.length < matches.length ? "Showing " + shown.length + " of " + count + " projects matching " + quoted + "."
        : count + " projects match " + quoted + ".";
      results.hidden = matches.length === 0;
      more.hidden = shown.length >= matches.length;
      all.hidden = true;
      form.dataset.ms = (performance.now() - started).toFixed(1);
      if (pending.length) {
        Promise.all(pending).then(() => {
          if (mine !== generation) return;
          pending.length = 0;
          render();
          form.dataset.msComplete = (performance.now() - started).toFixed(1);
        });
      } else {
        form.dataset.msComplete = form.dataset.ms;
      }
    }

    function run() {
      const started = performance.now();
      const mine = ++generation;
      const query = box.value.trim();
      const words = terms(query);
      try {
        history.replaceState(null, "", query ? "?q=" + encodeURIComponent(query) : location.pathname);
      } catch (e) { /* some browsers refuse this on file:// */ }
      if (words.length === 0) {
        results.hidden = true;
        all.hidden = false;
        status.textContent = "";
        return;
      }
      if (data.names === null) status.textContent = "Loading the project list\u2026";
      names().then(() => {
        if (mine !== generation) return;
        matches = search(words);
        limit = STEP;
        show(query, started, mine);
      }, () => {});
    }

    form.hidden = false;
    box.addEventListener("focus", names, {once: true});
    box.addEventListener("input", run);
    more.addEventListener("click", () => {
      limit += STEP;
      show(box.value.trim(), performance.now(), ++generation);
    });
    // Enter opens the best match.
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const first = body.querySelector("a");
      if (!results.hidden && first) location.href = first.href;
    });
    const asked = new URLSearchParams(location.search).get("q");
    if (asked) box.value = asked;
    if (box.value.trim()) run();
  }

  // Selects the element's text, so that a failed copy leaves it ready for Ctrl+C.
  function select(element) {
    const range = document.createRange();
    range.selectNodeContents(element);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function legacyCopy(element) {
    select(element);
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  function setUpCopy(button) {
    const element = document.getElementById(button.dataset.copy);
    if (element.dataset.index) {
      // The page knows where this site is only from where it was opened.
      const index = new URL(element.dataset.index, location.href).href;
      element.textContent = element.textContent.replace(/--index-url \S+/, () => "--index-url " + index);
    }
    const label = button.textContent;
    function done(copied) {
      button.textContent = copied ? "Copied" : "Press Ctrl+C";
      button.dataset.copied = copied ? "yes" : "no";
      setTimeout(() => { button.textContent = label; }, 2000);
    }
    button.hidden = false;
    button.addEventListener("click", () => {
      const text = element.textContent;
      select(element);
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(() => done(true), () => done(legacyCopy(element)));
      } else {
        done(legacyCopy(element));
      }
    });
  }

  function start() {
    const form = document.querySelector("form.search");
    if (form) setUpSearch(form);
    document.querySelectorAll("button.copy").forEach(setUpCopy);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
