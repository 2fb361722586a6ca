// Renders /openapi/v1.json as a readable page. Written by hand: no docs UI package restores here
// (Scalar is missing, Swashbuckle's UI conflicts with Microsoft.AspNetCore.OpenApi 10).
"use strict";
(async () => {
  const main = document.getElementById("operations");
  const doc = await (await fetch("/openapi/v1.json")).json();
  document.getElementById("version").textContent = doc.info?.version ?? "";
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    children.flat().forEach(c => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
    return node;
  };
  const refName = ref => ref?.split("/").pop();
  const schemaText = (schema, depth = 0) => {
    if (!schema) return "";
    if (schema.$ref) {
      const target = doc.components?.schemas?.[refName(schema.$ref)];
      return depth > 2 ? refName(schema.$ref) : schemaText(target, depth + 1);
    }
    if (schema.type === "array" || (Array.isArray(schema.type) && schema.type.includes("array")))
      return `[${schemaText(schema.items, depth + 1)}]`;
    if (schema.properties) {
      const pad = "  ".repeat(depth + 1);
      return "{\n" + Object.entries(schema.properties)
        .map(([k, v]) => `${pad}${k}: ${schemaText(v, depth + 1)}`).join(",\n") + "\n" + "  ".repeat(depth) + "}";
    }
    return Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type ?? "any");
  };
  main.replaceChildren();
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths ?? {}))
    for (const [method, op] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      (byTag[op.tags?.[0] ?? "Other"] ??= []).push({ path, method, op });
    }
  for (const [tag, ops] of Object.entries(byTag)) {
    main.append(el("h2", {}, tag));
    for (const { path, method, op } of ops) {
      const box = el("section", { class: "op", id: op.operationId ?? "" },
        el("h3", {}, el("span", { class: `method ${method}` }, method), " ", el("code", {}, path)));
      if (op.summary) box.append(el("p", {}, op.summary));
      if (op.description) box.append(el("p", {}, op.description));
      const params = op.parameters ?? [];
      if (params.length) box.append(el("table", {},
        el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "type")),
        params.map(p => el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in), el("td", {}, schemaText(p.schema))))));
      const body = op.requestBody?.content?.["application/json"]?.schema;
      if (body) box.append(el("p", {}, "Body:"), el("pre", {}, schemaText(body)));
      const responses = Object.entries(op.responses ?? {});
      box.append(el("p", {}, "Responses: ", responses.map(([code]) => code).join(", ")));
      main.append(box);
    }
  }
})().catch(e => {
  document.getElementById("operations").textContent = "Could not load the OpenAPI document: " + e.message;
});
