// The article viewer: select a highlighted passage, see the facts it supports.
//
// Progressive enhancement: the server already renders the article with every evidence span as <mark> segments
// (data-spans lists the spans covering each segment, as "start-end" code-point offsets from the GraphQL API)
// and, below it, every fact of the article as a card (data-spans lists that fact's spans here). Without
// JavaScript a reader still sees the highlights and the fact list; with it, each highlight becomes a button
// that copies the matching fact cards into the fact panel (an aria-live region).
//
// Keyboard: Tab reaches each highlight, Enter or Space selects it, the arrow keys move to the next or previous
// highlight and select it, Home/End go to the first/last one, Escape clears the selection.
// A link to /sources/{id}#ev-{start}-{end} (the person and fact pages use them) selects that span on load.
"use strict";

(function () {
  const article = document.querySelector("[data-article-text]");
  const panel = document.getElementById("fact-panel");
  if (!article || !panel) return;
  const body = panel.querySelector("[data-panel-body]");
  const heading = panel.querySelector("[data-panel-heading]");
  const marks = Array.from(article.querySelectorAll("mark.hl"));
  const cards = Array.from(document.querySelectorAll("[data-fact-card]"));
  let pinned = null;

  const spansOf = (el) => (el.dataset.spans || "").split(" ").filter(Boolean);

  marks.forEach((mark) => {
    mark.tabIndex = 0;
    mark.setAttribute("role", "button");
    mark.setAttribute("aria-controls", "fact-panel");
    mark.setAttribute("aria-pressed", "false");
  });

  // Show in the panel the facts relying on any of ``spans``; mark every segment of those spans as related.
  function render(spans) {
    const matching = cards.filter((card) => spansOf(card).some((s) => spans.has(s)));
    marks.forEach((m) => m.classList.toggle("related", spansOf(m).some((s) => spans.has(s))));
    body.replaceChildren();
    const passage = document.createElement("p");
    passage.className = "hint";
    passage.textContent = "“" + passageText(spans) + "”";
    body.append(passage);
    const list = document.createElement("ul");
    list.className = "plain";
    matching.forEach((card) => {
      const copy = card.cloneNode(true);
      copy.removeAttribute("id");
      copy.removeAttribute("data-fact-card");
      copy.querySelectorAll("[id]").forEach((el) => el.removeAttribute("id"));
      list.append(copy);
    });
    body.append(list);
    heading.textContent = matching.length === 1 ? "1 fact relies on this passage" : matching.length + " facts rely on this passage";
  }

  // The words of the selected spans, read back from the page: the segments of the longest span, in order.
  function passageText(spans) {
    const longest = Array.from(spans).sort((a, b) => width(b) - width(a))[0];
    let text = "";
    let paragraph = null;
    marks.filter((m) => spansOf(m).includes(longest)).forEach((m) => {
      text += (paragraph && m.parentElement !== paragraph ? " " : "") + m.textContent;
      paragraph = m.parentElement;
    });
    return text;
  }

  function width(key) {
    const [start, end] = key.split("-").map(Number);
    return end - start;
  }

  // Select a segment: the facts of all the spans covering it (or only of ``spans``, for a link to one span).
  function select(mark, focus, spans) {
    if (pinned) {
      pinned.mark.classList.remove("selected");
      pinned.mark.setAttribute("aria-pressed", "false");
    }
    pinned = { mark: mark, spans: spans || new Set(spansOf(mark)) };
    mark.classList.add("selected");
    mark.setAttribute("aria-pressed", "true");
    render(pinned.spans);
    if (focus) mark.focus();
  }

  function clear() {
    if (pinned) {
      pinned.mark.classList.remove("selected");
      pinned.mark.setAttribute("aria-pressed", "false");
    }
    pinned = null;
    marks.forEach((m) => m.classList.remove("related"));
    heading.textContent = "Facts";
    body.replaceChildren();
    const hint = document.createElement("p");
    hint.className = "hint";
    hint.textContent = "Point at or select a highlighted passage to see the facts it supports. " +
      "Keyboard: Tab to a passage, Enter or Space to select, arrow keys for the next or previous one.";
    body.append(hint);
  }

  article.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.hl");
    if (mark) select(mark, false);
  });
  article.addEventListener("mouseover", (event) => {
    const mark = event.target.closest("mark.hl");
    if (mark) render(new Set(spansOf(mark)));
  });
  article.addEventListener("mouseleave", () => {
    if (pinned) render(pinned.spans);
  });
  article.addEventListener("keydown", (event) => {
    const mark = event.target.closest("mark.hl");
    if (!mark) return;
    const index = marks.indexOf(mark);
    const moves = { ArrowRight: index + 1, ArrowDown: index + 1, ArrowLeft: index - 1, ArrowUp: index - 1,
      Home: 0, End: marks.length - 1 };
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(mark, false);
    } else if (event.key in moves) {
      event.preventDefault();
      const next = marks[Math.max(0, Math.min(marks.length - 1, moves[event.key]))];
      select(next, true);
    } else if (event.key === "Escape") {
      clear();
    }
  });

  function followHash() {
    const match = /^#ev-(\d+-\d+)$/.exec(window.location.hash);
    if (!match) return;
    const mark = marks.find((m) => spansOf(m).includes(match[1]));
    if (!mark) return;
    select(mark, true, new Set([match[1]]));
    mark.scrollIntoView({ block: "start" });
  }

  window.addEventListener("hashchange", followHash);
  clear();
  // After the browser's own scroll to the fragment, which would otherwise take the focus back.
  if (document.readyState === "complete") followHash();
  else window.addEventListener("load", () => window.setTimeout(followHash, 0));
})();
