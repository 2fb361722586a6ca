// ConnectLinks embedded mode: opens a connect link in a modal iframe on the partner's page.
//
//   <script src="https://connect.example.com/connect.js"></script>
//   ConnectLinks.open({
//     url: link.url,                                   // from POST /v1/links
//     onReady()      {},                               // the link page has loaded
//     onSuccess(e)   { e.connection_id, e.link_id },   // connected; the modal closes itself
//     onExit(e)      {},                               // e.reason: "cancelled" (Cancel) or "closed" (× or Escape)
//     onError(e)     { e.error },                      // expired, revoked, locked, used, or load_failed
//   });
//
// The page's origin must be in the organization's settings.allowed_embed_origins; the link page refuses to be framed
// by any other. Messages are accepted only from the link's own origin and its own frame.
(function () {
  "use strict";
  if (window.ConnectLinks) return;
  const LOAD_TIMEOUT_MS = 15000;

  function open(options) {
    if (!options || !options.url) throw new Error("ConnectLinks.open needs { url }.");
    const linkUrl = new URL(options.url, window.location.href);
    const serviceOrigin = linkUrl.origin;
    linkUrl.searchParams.set("embed", window.location.origin);
    const returnFocus = document.activeElement;

    const overlay = document.createElement("div");
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", "Connect");
    Object.assign(overlay.style, {
      position: "fixed", inset: "0", zIndex: "2147483647", background: "rgba(15, 23, 42, 0.55)",
      display: "flex", alignItems: "center", justifyContent: "center",
    });
    const frame = document.createElement("iframe");
    frame.title = "Connect";
    frame.src = linkUrl.toString();
    Object.assign(frame.style, {
      width: "min(520px, 100vw)", height: "min(760px, 100vh)", border: "0", borderRadius: "12px", background: "#fff",
      boxShadow: "0 20px 50px rgba(0, 0, 0, 0.3)",
    });
    const close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", "Close");
    close.textContent = "×";
    Object.assign(close.style, {
      position: "absolute", top: "8px", right: "8px", width: "44px", height: "44px", border: "0", borderRadius: "22px",
      background: "#fff", color: "#0f172a", font: "28px/1 system-ui, sans-serif", cursor: "pointer",
    });
    overlay.append(frame, close);

    let closed = false;
    let ready = false;
    const call = (name, event) => { if (typeof options[name] === "function") options[name](event); };
    const teardown = () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      window.removeEventListener("message", onMessage);
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("focusin", onFocus);
      overlay.remove();
      if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus();
    };
    const exit = (reason) => { if (!closed) { teardown(); call("onExit", { reason: reason }); } };

    function onMessage(event) {
      // Only the link page in our own frame may speak: not other frames, not other origins.
      if (event.origin !== serviceOrigin || event.source !== frame.contentWindow) return;
      const data = event.data;
      if (!data || data.source !== "connectlinks") return;
      switch (data.type) {
        case "ready":
          // Every page of the flow says it (after a failed attempt too); the partner hears it once.
          if (!ready) { ready = true; clearTimeout(timer); call("onReady", { link_id: data.link_id }); }
          break;
        case "success": teardown(); call("onSuccess", { link_id: data.link_id, connection_id: data.connection_id }); break;
        case "exit": exit(data.reason === "closed" ? "closed" : "cancelled"); break;
        case "error": ready = true; clearTimeout(timer); call("onError", { error: data.error }); break;
      }
    }
    function onKey(event) { if (event.key === "Escape") exit("closed"); }
    // A modal dialog: focus that wanders out to the page behind comes back to the dialog.
    function onFocus(event) { if (!overlay.contains(event.target)) close.focus(); }

    window.addEventListener("message", onMessage);
    document.addEventListener("keydown", onKey);
    document.addEventListener("focusin", onFocus);
    close.addEventListener("click", () => exit("closed"));
    // A page this origin may not frame never loads into the iframe, so it never says "ready".
    const timer = setTimeout(() => { if (!ready && !closed) call("onError", { error: "load_failed" }); }, LOAD_TIMEOUT_MS);
    document.body.append(overlay);
    frame.focus();
    return { close: () => exit("closed") };
  }

  window.ConnectLinks = { open: open };
})();
