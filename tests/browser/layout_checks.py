"""Measurements of a page's computed styles in Chromium, shared by the 长辈版 and phone tests.

Each function runs in the page and returns a list of problems, each a short
description with the element it concerns, so that an assertion shows what to fix.
"""

#: JavaScript helpers: what is shown, what carries text, what is a tap target, colours.
_HELPERS = r"""
const describe = (element) => {
  const text = (element.innerText || element.value || element.getAttribute("aria-label") || "").trim().slice(0, 30);
  const classes = typeof element.className === "string" && element.className ? "." + element.className.trim().split(/\s+/).join(".") : "";
  return element.tagName.toLowerCase() + classes + (text ? ` "${text}"` : "");
};
const shown = (element) => {
  if (element.closest('svg, script, style, noscript, template, .visually-hidden, .print-only, .skip-link, [hidden], [aria-hidden="true"]')) return false;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  if (style.visibility === "hidden" || style.display === "none" || box.width === 0 || box.height === 0) return false;
  // Closed <details>: its content is not shown.
  const details = element.parentElement && element.parentElement.closest("details:not([open])");
  return !(details && element.tagName !== "SUMMARY" && !element.closest("summary"));
};
const ownText = (element) => [...element.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim());
const textElements = () => [...document.body.querySelectorAll("*")].filter((element) => ownText(element) && shown(element));
const isInlineLinkInText = (element) => {
  // WCAG 2.5.8's exception: a link inside a sentence, whose size the line of text sets.
  if (element.tagName !== "A" || getComputedStyle(element).display !== "inline") return false;
  const parent = element.parentElement;
  return [...parent.childNodes].some((node) => node !== element && node.nodeType === 3 && node.textContent.trim());
};
const targets = () =>
  [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary")]
    .filter((element) => shown(element) && !isInlineLinkInText(element));
const targetBox = (element) => {
  // A checkbox or radio button is tapped through its label, which is the target.
  if (element.matches("input[type=checkbox], input[type=radio]")) {
    const label = element.closest("label") || (element.id && document.querySelector(`label[for="${element.id}"]`));
    if (label) return label.getBoundingClientRect();
  }
  return element.getBoundingClientRect();
};
const parseColour = (value) => {
  const numbers = value.match(/[\d.]+/g).map(Number);
  return { r: numbers[0], g: numbers[1], b: numbers[2], a: numbers.length > 3 ? numbers[3] : 1 };
};
const luminance = ({ r, g, b }) => {
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
};
const background = (element) => {
  for (let node = element; node; node = node.parentElement) {
    const colour = parseColour(getComputedStyle(node).backgroundColor);
    if (colour.a > 0) return colour;
  }
  return { r: 255, g: 255, b: 255, a: 1 };
};
const contrast = (element) => {
  const foreground = luminance(parseColour(getComputedStyle(element).color));
  const back = luminance(background(element));
  return (Math.max(foreground, back) + 0.05) / (Math.min(foreground, back) + 0.05);
};
"""


def text_smaller_than(page, pixels):
    """Elements whose own text is set smaller than ``pixels`` CSS pixels."""
    return page.evaluate(
        "(pixels) => {" + _HELPERS + """
        return textElements()
          .filter((element) => parseFloat(getComputedStyle(element).fontSize) < pixels - 0.01)
          .map((element) => `${describe(element)}: ${getComputedStyle(element).fontSize}`);
        }""",
        pixels,
    )


def line_spacing_below(page, ratio):
    """Elements whose own text has a line height below ``ratio`` times its font size."""
    return page.evaluate(
        "(ratio) => {" + _HELPERS + """
        return textElements()
          .filter((element) => {
            const style = getComputedStyle(element);
            const height = style.lineHeight === "normal" ? 0 : parseFloat(style.lineHeight);
            return height / parseFloat(style.fontSize) < ratio - 0.001;
          })
          .map((element) => `${describe(element)}: ${getComputedStyle(element).lineHeight}`);
        }""",
        ratio,
    )


def contrast_below(page, ratio):
    """Elements whose own text has a contrast ratio with its background below ``ratio``."""
    return page.evaluate(
        "(ratio) => {" + _HELPERS + """
        return textElements()
          .filter((element) => contrast(element) < ratio)
          .map((element) => `${describe(element)}: ${contrast(element).toFixed(2)}:1`);
        }""",
        ratio,
    )


def targets_smaller_than(page, pixels):
    """Tap targets (links outside running text, buttons, fields, summaries) under ``pixels`` high or wide."""
    return page.evaluate(
        "(pixels) => {" + _HELPERS + """
        return targets()
          .filter((element) => { const box = targetBox(element); return box.height < pixels - 0.5 || box.width < pixels - 0.5; })
          .map((element) => { const box = targetBox(element); return `${describe(element)}: ${box.width.toFixed(0)}×${box.height.toFixed(0)}`; });
        }""",
        pixels,
    )


def horizontal_overflow(page):
    """How many CSS pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


def moving_or_timed_content(page):
    """Animations, transitions, automatic refreshes, marquees and autoplaying media on the page."""
    return page.evaluate(
        """() => {
        const problems = document.getAnimations().map((animation) => `animation on ${animation.effect && animation.effect.target && animation.effect.target.tagName}`);
        for (const element of document.querySelectorAll("*")) {
          const style = getComputedStyle(element);
          if (style.animationName !== "none") problems.push(`animation ${style.animationName} on ${element.tagName}`);
          if (style.transitionDuration.split(",").some((duration) => parseFloat(duration) > 0)) problems.push(`transition on ${element.tagName}`);
        }
        if (document.querySelector('meta[http-equiv="refresh" i]')) problems.push("meta refresh");
        if (document.querySelector("marquee, blink, video[autoplay], audio[autoplay]")) problems.push("moving or autoplaying element");
        return problems;
        }"""
    )


def reading_order_problems(page, tolerance=24):
    """Text in <main> that a reader meets higher on the screen than the text before it (side-by-side columns)."""
    return page.evaluate(
        "(tolerance) => {" + _HELPERS + """
        const problems = [];
        let previous = null;
        // A table is read row by row, cell by cell: its rows are checked as one block each.
        for (const element of textElements().filter((element) => element.closest("main") && !element.closest("tr"))) {
          const top = element.getBoundingClientRect().top + window.scrollY;
          if (previous && top < previous.top - tolerance) problems.push(`${describe(element)} above ${describe(previous.element)}`);
          previous = { element, top };
        }
        return problems;
        }""",
        tolerance,
    )


def half_width_punctuation_beside_chinese(page):
    """Places in the page's visible text where a half-width , : ; ( ) ? ! stands beside a Chinese character."""
    return page.evaluate(
        r"""() => {
        const text = document.body.innerText;
        const pattern = /(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])[,:;()?!]|[,:;()?!](?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])/g;
        return [...text.matchAll(pattern)].map((match) => text.slice(Math.max(0, match.index - 8), match.index + 9));
        }"""
    )
