/*
 * analytics.js: a tiny first-party analytics client.
 * Collects page views and custom events, batches them and posts them to the ingest service.
 */
(function (window, document) {
  "use strict";

  var ENDPOINT = "https://analytics.example.org/api/events";
  var MAX_BATCH = 20;
  var FLUSH_INTERVAL_MS = 5000;

  var queue = [];
  var sessionId = readSessionId();

  function readSessionId() {
    var key = "_an_sid";
    var existing = window.sessionStorage.getItem(key);
    if (existing) {
      return existing;
    }
    var fresh = Math.random().toString(36).slice(2) + Date.now().toString(36);
    window.sessionStorage.setItem(key, fresh);
    return fresh;
  }

  function baseEvent(type) {
    return {
      type: type,
      session_id: sessionId,
      url: window.location.href,
      referrer: document.referrer || null,
      ts: new Date().toISOString(),
    };
  }

  function track(name, props) {
    var event = baseEvent("event");
    event.name = String(name).slice(0, 64);
    event.props = props || {};
    enqueue(event);
  }

  function pageview() {
    var event = baseEvent("pageview");
    event.title = document.title.slice(0, 200);
    enqueue(event);
  }

  function enqueue(event) {
    queue.push(event);
    if (queue.length >= MAX_BATCH) {
      flush();
    }
  }

  function flush(useBeacon) {
    if (queue.length === 0) {
      return;
    }
    var body = JSON.stringify({ events: queue.splice(0, MAX_BATCH) });
    if (useBeacon && navigator.sendBeacon) {
      navigator.sendBeacon(ENDPOINT, new Blob([body], { type: "application/json" }));
      return;
    }
    fetch(ENDPOINT, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body,
      keepalive: true,
      credentials: "omit",
    }).catch(function () {
      /* analytics must never break the page */
    });
  }

  setInterval(flush, FLUSH_INTERVAL_MS);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      flush(true);
    }
  });

  window.analytics = { track: track, pageview: pageview, flush: flush };
  pageview();
})(window, document);
