// Progressive enhancement of the connect pages; everything works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Embedded in a partner's page by connect.js: tell that page what happened, addressed to its exact origin only (the
  // server sets data-embed-origin only for an origin the organization allows).
  const embed = document.body.dataset;
  if (embed.embedOrigin && window.parent !== window) {
    const message = { source: "connectlinks", type: embed.embedType };
    if (embed.embedLink) message.link_id = embed.embedLink;
    if (embed.embedConnection) message.connection_id = embed.embedConnection;
    if (embed.embedError) message.error = embed.embedError;
    window.parent.postMessage(message, embed.embedOrigin);
    // Keys typed in the frame never reach the partner's page: pass Escape on, as a request to close.
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") window.parent.postMessage({ source: "connectlinks", type: "exit", reason: "closed" }, embed.embedOrigin);
    });
  }

  // Filter the connector list as the customer types or picks a category.
  const search = document.querySelector("input[data-filter-list]");
  const category = document.querySelector("select[data-filter-category]");
  const list = search && document.getElementById(search.dataset.filterList);
  const filter = () => {
    const q = search.value.trim().toLowerCase();
    const c = category ? category.value : "";
    for (const item of list.children) {
      const show = (!q || item.dataset.name.includes(q)) && (!c || item.dataset.category === c);
      item.hidden = !show;
    }
  };
  if (list) {
    search.addEventListener("input", filter);
    if (category) category.addEventListener("change", filter);
  }

  // While the checks run (up to 30 s), show which steps are being tested and prevent a double submit.
  const form = document.getElementById("connect-form");
  if (form) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button[type=submit].primary");
      if (button) { button.disabled = true; button.textContent = "Testing…"; }
      const progress = document.getElementById("progress");
      const steps = (form.dataset.checks || "").split("|").filter(Boolean);
      if (progress && steps.length) {
        progress.hidden = false;
        progress.textContent = "Testing the connection: " + steps.join(" → ");
      }
    });
  }

  // After success, go back to the partner on our own after a few seconds — unless the customer says stay (WCAG 2.2.1:
  // a time limit the user can turn off). Without JavaScript the Continue button does it.
  const go = document.querySelector("a[data-auto-continue]");
  const note = document.getElementById("auto-continue");
  if (go && note) {
    let left = Number(go.dataset.autoContinue) || 5;
    const stay = document.createElement("button");
    stay.type = "button";
    stay.className = "secondary";
    stay.textContent = "Stay on this page";
    const text = document.createElement("span");
    note.append(text, " ", stay);
    const tick = () => {
      text.textContent = `Taking you back in ${left} s.`;
      if (left-- <= 0) { clearInterval(timer); window.location.assign(go.href); }
    };
    const timer = setInterval(tick, 1000);
    tick();
    stay.addEventListener("click", () => { clearInterval(timer); note.textContent = "You can go back whenever you are ready."; go.focus(); });
  }

  // After a failed attempt, move focus to the result so screen readers and keyboards land on it.
  const result = document.getElementById("result");
  if (result) result.focus();
});
