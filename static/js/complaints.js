/*
 * Complaint pages (progressive enhancement; every form works without this file).
 *
 * - Organisation suggestions on the first step: a combobox over the published
 *   organisations (name and USCC only). Choosing one fills both fields. The
 *   text typed is POSTed, so it stays out of URLs and access logs.
 * - A character counter under the description.
 * - A print button on the acknowledgement.
 * - Focus moves to the error summary when a form comes back with errors.
 *
 * Texts come from data-* attributes written by the templates in the page's language.
 */
(function () {
  "use strict";

  var DELAY_MS = 250;

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function enoughText(text) {
    // Two Latin characters, or one Chinese character, say something.
    return text.length >= 2 || /[^\x00-\x7f]/.test(text);
  }

  function OrganisationCombobox(form) {
    this.form = form;
    this.endpoint = form.getAttribute("data-organisation-search");
    this.input = form.querySelector("#organisation_name");
    this.uscc = form.querySelector("#uscc");
    this.items = [];
    this.active = -1;
    this.timer = null;
    this.cache = {};
    this.sequence = 0;
    this.build();
    this.bind();
  }

  OrganisationCombobox.prototype.build = function () {
    var input = this.input;
    this.list = document.createElement("ul");
    this.list.id = "organisation-suggestions";
    this.list.className = "complaint-suggestions";
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", this.form.getAttribute("data-text-suggestions") || "");
    this.list.hidden = true;
    input.parentNode.appendChild(this.list);
    this.status = document.createElement("p");
    this.status.className = "visually-hidden";
    this.status.setAttribute("role", "status");
    input.parentNode.appendChild(this.status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.list.id);
  };

  OrganisationCombobox.prototype.bind = function () {
    var self = this;
    this.input.addEventListener("input", function () {
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.fetch(self.input.value.trim()); }, DELAY_MS);
    });
    this.input.addEventListener("keydown", function (event) { self.keydown(event); });
    this.input.addEventListener("blur", function () {
      setTimeout(function () { self.close(); }, 150);
    });
    this.list.addEventListener("mousedown", function (event) {
      var option = event.target.closest("li[role=option]");
      if (option) {
        event.preventDefault();
        self.choose(Number(option.getAttribute("data-index")));
      }
    });
  };

  OrganisationCombobox.prototype.fetch = function (text) {
    var self = this;
    if (!enoughText(text)) { this.close(); return; }
    if (this.cache[text]) { this.show(this.cache[text]); return; }
    var sequence = ++this.sequence;
    var body = new URLSearchParams();
    body.set("q", text);
    fetch(this.endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(this.form), "Accept": "application/json" },
      body: body
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data || sequence !== self.sequence) { return; }
      self.cache[text] = data.organisations || [];
      self.show(self.cache[text]);
    }).catch(function () { /* Suggestions are optional: the form works without them. */ });
  };

  OrganisationCombobox.prototype.show = function (items) {
    var self = this;
    this.items = items;
    this.active = -1;
    this.list.textContent = "";
    items.forEach(function (item, index) {
      var option = document.createElement("li");
      option.id = "organisation-suggestion-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-index", String(index));
      var name = document.createElement("span");
      name.textContent = item.name;
      var code = document.createElement("span");
      code.className = "code";
      code.textContent = item.uscc;
      option.appendChild(name);
      option.appendChild(code);
      self.list.appendChild(option);
    });
    var count = items.length;
    var template = count === 0 ? this.form.getAttribute("data-text-none")
      : this.form.getAttribute("data-text-many");
    this.status.textContent = (template || "").replace("{n}", String(count));
    this.list.hidden = count === 0;
    this.input.setAttribute("aria-expanded", count === 0 ? "false" : "true");
  };

  OrganisationCombobox.prototype.move = function (step) {
    if (!this.items.length) { return; }
    this.active = (this.active + step + this.items.length) % this.items.length;
    var options = this.list.querySelectorAll("li[role=option]");
    for (var i = 0; i < options.length; i += 1) {
      options[i].setAttribute("aria-selected", i === this.active ? "true" : "false");
    }
    this.input.setAttribute("aria-activedescendant", options[this.active].id);
    options[this.active].scrollIntoView({ block: "nearest" });
  };

  OrganisationCombobox.prototype.choose = function (index) {
    var item = this.items[index];
    if (!item) { return; }
    this.input.value = item.name;
    if (this.uscc) { this.uscc.value = item.uscc; }
    this.close();
    this.input.focus();
  };

  OrganisationCombobox.prototype.close = function () {
    this.list.hidden = true;
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  OrganisationCombobox.prototype.keydown = function (event) {
    var open = !this.list.hidden;
    if (event.key === "ArrowDown") {
      if (open) { event.preventDefault(); this.move(1); }
    } else if (event.key === "ArrowUp") {
      if (open) { event.preventDefault(); this.move(-1); }
    } else if (event.key === "Enter") {
      if (open && this.active >= 0) { event.preventDefault(); this.choose(this.active); }
    } else if (event.key === "Escape") {
      if (open) { event.preventDefault(); this.close(); }
    }
  };

  function characterCounter(textarea) {
    var max = Number(textarea.getAttribute("data-max"));
    var min = Number(textarea.getAttribute("data-min"));
    var template = textarea.getAttribute("data-text-count") || "{n} / {max}";
    var output = document.createElement("p");
    output.className = "hint char-count";
    output.setAttribute("aria-live", "polite");
    textarea.parentNode.insertBefore(output, textarea.nextSibling);
    function update() {
      var length = textarea.value.trim().length;
      output.textContent = template.replace("{n}", String(length)).replace("{min}", String(min)).replace("{max}", String(max));
      output.classList.toggle("char-count--over", length > max);
    }
    textarea.addEventListener("input", update);
    update();
  }

  function init() {
    var form = document.querySelector("form[data-organisation-search]");
    if (form && window.fetch && window.URLSearchParams) { new OrganisationCombobox(form); }
    var textarea = document.querySelector("textarea[data-max]");
    if (textarea) { characterCounter(textarea); }
    Array.prototype.forEach.call(document.querySelectorAll(".js-print"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
