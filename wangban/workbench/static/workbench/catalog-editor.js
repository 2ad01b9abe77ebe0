/* The item editor (wangban/workbench/templates/workbench/catalog/editor.html): add rows to
   the lists from their <template>, move rows up and down (the 序号 fields follow), and
   check the electronic form's JSON as it is typed, with a preview of its fields. The page
   works without this file: rows come one blank at a time and 序号 orders them. */
(function () {
  "use strict";

  function rowsOf(section) {
    return Array.prototype.slice.call(section.querySelectorAll("[data-rows] > [data-row]"));
  }

  function renumber(section) {
    rowsOf(section).forEach(function (row, index) {
      var number = row.querySelector("[data-row-number]");
      if (number) { number.textContent = String(index + 1); }
      var position = row.querySelector("input[name$='-position']");
      if (position) { position.value = String(index + 1); }
    });
  }

  function bindRow(section, row) {
    var move = row.querySelector(".row-move");
    if (!move) { return; }
    move.hidden = false;
    move.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (!button) { return; }
      var sibling = button.dataset.move === "up" ? row.previousElementSibling : row.nextElementSibling;
      if (!sibling) { return; }
      if (button.dataset.move === "up") { sibling.before(row); } else { sibling.after(row); }
      renumber(section);
      button.focus();
    });
  }

  function setUpList(section) {
    var key = section.dataset.formset;
    var total = section.querySelector("input[name='" + key + "-TOTAL_FORMS']");
    var template = section.querySelector("template[data-empty-row]");
    var container = section.querySelector("[data-rows]");
    var add = section.querySelector("[data-add-row]");
    rowsOf(section).forEach(function (row) { bindRow(section, row); });
    if (!total || !template || !container || !add) { return; }
    add.hidden = false;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
      var row = holder.querySelector("[data-row]");
      container.appendChild(row);
      total.value = String(index + 1);
      bindRow(section, row);
      renumber(section);
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    });
  }

  function checkSchema(textarea) {
    var status = document.getElementById("schema-status");
    var preview = document.getElementById("schema-preview");
    var title = document.getElementById("schema-preview-title");
    var list = document.getElementById("schema-preview-fields");
    if (!status || !preview || !title || !list) { return; }
    var text = textarea.value.trim();
    list.textContent = "";
    status.classList.remove("is-bad");
    if (!text) { status.textContent = ""; preview.hidden = true; return; }
    var schema;
    try {
      schema = JSON.parse(text);
    } catch (error) {
      status.textContent = "JSON 语法有误，请检查括号、引号和逗号。";
      status.classList.add("is-bad");
      preview.hidden = true;
      return;
    }
    if (!schema || typeof schema !== "object" || Array.isArray(schema)) {
      status.textContent = "电子表单应为 JSON 对象（以 { 开头）。";
      status.classList.add("is-bad");
      preview.hidden = true;
      return;
    }
    var properties = schema.properties && typeof schema.properties === "object" ? schema.properties : {};
    var required = Array.isArray(schema.required) ? schema.required : [];
    var names = Object.keys(properties);
    status.textContent = "JSON 格式正确，共 " + names.length + " 个字段；提交审核时再检查是否符合 JSON Schema。";
    title.textContent = schema.title ? String(schema.title) : "（缺少表单标题 title）";
    names.forEach(function (name) {
      var field = properties[name] || {};
      var item = document.createElement("li");
      var label = field.title ? String(field.title) : name + "（缺少中文标题 title）";
      item.textContent = label + " · " + (field.type || "未指定类型") + (required.indexOf(name) >= 0 ? " · 必填" : "");
      list.appendChild(item);
    });
    preview.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-formset]").forEach(setUpList);
    var textarea = document.getElementById("id_form_schema");
    if (textarea) {
      var timer = null;
      textarea.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { checkSchema(textarea); }, 300);
      });
      checkSchema(textarea);
    }
  });
}());
