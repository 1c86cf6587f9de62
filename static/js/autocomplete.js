/*
 * Organisation suggestions for search boxes (progressive enhancement).
 *
 * Any <input data-autocomplete="/search/suggest"> becomes an ARIA 1.2
 * combobox with a listbox popup: type two characters or more, then
 * Down/Up to move through the suggestions, Enter to open the chosen
 * organisation's report, Escape to close the list (or, when it is closed,
 * to clear the box). The number of suggestions is announced in a polite live
 * region. Without this script the form is an ordinary GET form.
 *
 * Optional attributes on the input give the announcements in the page's
 * language: data-autocomplete-none, -one, -many ("{n}" is the number) and
 * -label (the listbox's name). Requests are debounced, never overlap, are
 * cached per text, and pause after a 429 for the time the server asks.
 */
(function () {
  "use strict";

  var MIN_CHARACTERS = 2;
  var DELAY_MS = 200;
  var DEFAULT_TEXTS = {
    zh: {
      none: "没有建议。",
      one: "1 条建议，可用上下方向键选择。",
      many: "{n} 条建议，可用上下方向键选择。",
      label: "建议的社会组织"
    },
    en: {
      none: "No suggestions.",
      one: "1 suggestion. Use the up and down arrow keys to choose it.",
      many: "{n} suggestions. Use the up and down arrow keys to choose one.",
      label: "Suggested organisations"
    }
  };
  var counter = 0;

  function texts(input) {
    var language = (document.documentElement.getAttribute("lang") || "zh").toLowerCase();
    var defaults = DEFAULT_TEXTS[language.indexOf("zh") === 0 ? "zh" : "en"];
    return {
      none: input.getAttribute("data-autocomplete-none") || defaults.none,
      one: input.getAttribute("data-autocomplete-one") || defaults.one,
      many: input.getAttribute("data-autocomplete-many") || defaults.many,
      label: input.getAttribute("data-autocomplete-label") || defaults.label
    };
  }

  function Combobox(input) {
    counter += 1;
    this.input = input;
    this.endpoint = input.getAttribute("data-autocomplete") || "/search/suggest";
    this.texts = texts(input);
    this.items = [];
    this.active = -1;
    this.cache = {};
    this.timer = null;
    this.request = null;
    this.pausedUntil = 0;
    this.lastText = null;
    this.build("autocomplete-" + counter);
    this.bind();
  }

  Combobox.prototype.build = function (id) {
    var input = this.input;
    var wrapper = document.createElement("div");
    wrapper.className = "autocomplete";
    wrapper.style.position = "relative";
    wrapper.style.flex = "1 1 auto";
    wrapper.style.minWidth = "0";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);
    input.style.width = "100%";
    input.style.boxSizing = "border-box";

    var listbox = document.createElement("ul");
    listbox.id = id + "-listbox";
    listbox.className = "autocomplete__list";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", this.texts.label);
    listbox.hidden = true;
    var style = listbox.style;
    style.position = "absolute";
    style.left = "0";
    style.right = "0";
    style.top = "100%";
    style.zIndex = "20";
    style.margin = "0";
    style.padding = "0";
    style.listStyle = "none";
    style.background = "#fff";
    style.color = "#1b1b1b";
    style.border = "1px solid #555";
    style.maxHeight = "22rem";
    style.overflowY = "auto";
    style.textAlign = "left";
    wrapper.appendChild(listbox);

    var status = document.createElement("div");
    status.className = "visually-hidden autocomplete__status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    status.setAttribute("aria-atomic", "true");
    wrapper.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("autocomplete", "off");
    this.listbox = listbox;
    this.status = status;
  };

  Combobox.prototype.bind = function () {
    var self = this;
    this.input.addEventListener("input", function () { self.schedule(); });
    this.input.addEventListener("keydown", function (event) { self.onKeydown(event); });
    this.input.addEventListener("blur", function () {
      // Later than a click on an option, which must still find the list open.
      window.setTimeout(function () { self.close(); }, 150);
    });
    this.listbox.addEventListener("mousedown", function (event) {
      event.preventDefault(); // keep the focus in the input
    });
    this.listbox.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) {
        self.choose(Number(option.getAttribute("data-index")));
      }
    });
  };

  Combobox.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.fetch(); }, DELAY_MS);
  };

  Combobox.prototype.fetch = function () {
    var self = this;
    var text = this.input.value.replace(/\s+/g, " ").trim();
    if (text === this.lastText && !this.listbox.hidden) {
      return;
    }
    this.lastText = text;
    if (text.length < MIN_CHARACTERS) {
      this.show([], false);
      return;
    }
    if (Object.prototype.hasOwnProperty.call(this.cache, text)) {
      this.show(this.cache[text], true);
      return;
    }
    if (Date.now() < this.pausedUntil || !window.fetch) {
      return;
    }
    if (this.request && this.request.abort) {
      this.request.abort();
    }
    var controller = window.AbortController ? new AbortController() : null;
    this.request = controller;
    var url = new URL(this.endpoint, window.location.href);
    url.searchParams.set("q", text);
    window.fetch(url.toString(), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (response.status === 429) {
        var wait = Number(response.headers.get("Retry-After")) || 10;
        self.pausedUntil = Date.now() + wait * 1000;
        return null;
      }
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data || !Array.isArray(data.results)) {
        return;
      }
      self.cache[text] = data.results;
      if (self.input.value.replace(/\s+/g, " ").trim() === text) {
        self.show(data.results, true);
      }
    }).catch(function () {
      // Aborted, or offline: the form still works without suggestions.
    });
  };

  Combobox.prototype.show = function (items, announce) {
    var listbox = this.listbox;
    this.items = items;
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    while (listbox.firstChild) {
      listbox.removeChild(listbox.firstChild);
    }
    for (var i = 0; i < items.length; i += 1) {
      var item = items[i];
      var option = document.createElement("li");
      option.id = listbox.id + "-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-index", String(i));
      option.style.padding = "0.4rem 0.6rem";
      option.style.cursor = "pointer";
      option.style.borderBottom = "1px solid #ddd";
      var name = document.createElement("span");
      name.textContent = item.name;
      name.setAttribute("lang", "zh-CN");
      var details = document.createElement("span");
      details.textContent = " " + item.grade + " · " + item.uscc;
      details.style.color = "#555";
      details.style.fontSize = "0.9em";
      option.appendChild(name);
      option.appendChild(details);
      listbox.appendChild(option);
    }
    var open = items.length > 0;
    listbox.hidden = !open;
    this.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (announce) {
      var message = items.length === 0 ? this.texts.none
        : items.length === 1 ? this.texts.one
          : this.texts.many.replace("{n}", String(items.length));
      this.status.textContent = message;
    } else {
      this.status.textContent = "";
    }
  };

  Combobox.prototype.close = function () {
    this.listbox.hidden = true;
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Combobox.prototype.isOpen = function () {
    return !this.listbox.hidden && this.items.length > 0;
  };

  Combobox.prototype.move = function (step) {
    if (!this.items.length) {
      return;
    }
    if (!this.isOpen()) {
      this.listbox.hidden = false;
      this.input.setAttribute("aria-expanded", "true");
    }
    var count = this.items.length;
    var next = this.active + step;
    if (next < 0) {
      next = count - 1;
    } else if (next >= count) {
      next = 0;
    }
    this.highlight(next);
  };

  Combobox.prototype.highlight = function (index) {
    var options = this.listbox.querySelectorAll("[role=option]");
    for (var i = 0; i < options.length; i += 1) {
      var selected = i === index;
      options[i].setAttribute("aria-selected", selected ? "true" : "false");
      options[i].style.background = selected ? "#1d4f91" : "";
      options[i].style.color = selected ? "#fff" : "";
      options[i].lastChild.style.color = selected ? "#fff" : "#555";
    }
    this.active = index;
    if (index >= 0 && options[index]) {
      this.input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  Combobox.prototype.choose = function (index) {
    var item = this.items[index];
    if (!item) {
      return;
    }
    this.input.value = item.name;
    this.close();
    window.location.assign(item.url);
  };

  Combobox.prototype.onKeydown = function (event) {
    switch (event.key) {
      case "ArrowDown":
      case "Down":
        if (!this.items.length) {
          this.lastText = null;
          this.fetch();
        }
        this.move(1);
        event.preventDefault();
        break;
      case "ArrowUp":
      case "Up":
        this.move(-1);
        event.preventDefault();
        break;
      case "Enter":
        if (this.isOpen() && this.active >= 0) {
          event.preventDefault();
          this.choose(this.active);
        }
        break;
      case "Escape":
      case "Esc":
        if (this.isOpen()) {
          this.close();
          event.preventDefault();
        } else if (this.input.value) {
          this.input.value = "";
          this.lastText = null;
          this.show([], false);
          event.preventDefault();
        }
        break;
      case "Tab":
        this.close();
        break;
      default:
        break;
    }
  };

  function enhance(root) {
    var inputs = (root || document).querySelectorAll("input[data-autocomplete]");
    for (var i = 0; i < inputs.length; i += 1) {
      if (!inputs[i].hasAttribute("data-autocomplete-ready")) {
        inputs[i].setAttribute("data-autocomplete-ready", "");
        new Combobox(inputs[i]);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  } else {
    enhance(document);
  }
}());
