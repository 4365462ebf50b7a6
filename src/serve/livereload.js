// bucketpress live reload: injected into HTML by `bucketpress serve` only, never published.
(() => {
  let version = __BP_VERSION__;
  const overlayId = "__bucketpress_overlay";
  function overlay(errors) {
    let el = document.getElementById(overlayId);
    if (!errors || errors.length === 0) {
      if (el) el.remove();
      return;
    }
    if (!el) {
      el = document.createElement("div");
      el.id = overlayId;
      document.body.appendChild(el);
    }
    el.textContent = "";
    el.setAttribute("role", "alert");
    const close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "Dismiss \u00d7";
    close.onclick = () => el.remove();
    const title = document.createElement("strong");
    title.textContent = __BP_TITLE__;
    const list = document.createElement("pre");
    list.textContent = errors.join("\n\n");
    el.append(close, title, list);
  }
  function swapStylesheets() {
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("bp-reload", Date.now().toString());
      link.href = url.href;
    }
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + __BP_WS__);
    ws.onmessage = (message) => {
      const event = JSON.parse(message.data);
      switch (event.type) {
        case "hello":
          window.__bucketpress_connected = true;
          // A rebuild happened between loading this page and connecting: catch up.
          if (event.version !== version && event.errors.length === 0) location.reload();
          else overlay(event.errors);
          break;
        case "reload":
          location.reload();
          break;
        case "css":
          version = event.version;
          swapStylesheets();
          overlay([]);
          break;
        case "errors":
          overlay(event.errors);
          break;
        case "ok":
          overlay([]);
          break;
      }
    };
    ws.onclose = () => setTimeout(connect, 1000);
  }
  connect();
})();
