// Live updates over server-sent events, and focus on error summaries. No framework: the
// pages work without this file, which only adds what arrives after the page loaded.
(function () {
  "use strict";

  function statusClass(status) {
    return "status status-" + status.toLowerCase().split(" ").join("-");
  }

  function setStatus(element, status) {
    element.textContent = status;
    element.className = statusClass(status);
  }

  function formatTime(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) {
      return iso;
    }
    return date.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function announce(text) {
    var announcer = document.getElementById("live-announcer");
    if (announcer) {
      announcer.textContent = text;
    }
  }

  // Built with textContent only: the text of a message is never parsed as HTML.
  function messageElement(update) {
    var item = document.createElement("li");
    item.id = "interaction-" + update.id;
    item.className = "message is-new " + (update.from_customer ? "from-customer" : "from-support");

    var meta = document.createElement("p");
    meta.className = "message-meta";
    var author = document.createElement("strong");
    author.textContent = update.author || "Support";
    var time = document.createElement("time");
    time.dateTime = update.created_at;
    time.textContent = formatTime(update.created_at);
    meta.appendChild(author);
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(time);

    var text = document.createElement("div");
    text.className = "message-text";
    text.textContent = update.text;

    item.appendChild(meta);
    item.appendChild(text);
    if (update.attachments && update.attachments.length) {
      var list = document.createElement("ul");
      list.className = "attachments";
      list.setAttribute("aria-label", "Attachments");
      update.attachments.forEach(function (attachment) {
        var entry = document.createElement("li");
        var link = document.createElement("a");
        link.href = "/tickets/" + update.number + "/attachments/" + attachment.sha256;
        link.setAttribute("download", "");
        link.textContent = attachment.filename;
        entry.appendChild(link);
        list.appendChild(entry);
      });
      item.appendChild(list);
    }
    return item;
  }

  // Calls `onReopen` each time the stream comes back after a drop, when events may have
  // been missed. `data-live-state` is "open" while the stream is connected, for tests and styles.
  function openStream(element, onReopen) {
    var source = new EventSource(element.dataset.liveUrl);
    var opened = false;
    source.addEventListener("open", function () {
      element.dataset.liveState = "open";
      if (opened) {
        onReopen();
      }
      opened = true;
    });
    source.addEventListener("error", function () {
      element.dataset.liveState = "reconnecting";
    });
    return source;
  }

  function addInteraction(conversation, update) {
    if (document.getElementById("interaction-" + update.id)) {
      return false;
    }
    conversation.appendChild(messageElement(update));
    return true;
  }

  function followTicket(page) {
    var conversation = document.getElementById("conversation");
    var statusBadge = document.getElementById("ticket-status");

    function fetchTicket() {
      return fetch("/api/tickets/" + page.dataset.number, {
        headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : null;
      });
    }

    // Returns how many interactions were new to the page.
    function applyTicket(ticket) {
      var added = 0;
      setStatus(statusBadge, ticket.status);
      ticket.interactions.forEach(function (interaction) {
        var isNew = addInteraction(conversation, {
          id: interaction.id,
          number: ticket.number,
          author: interaction.author_name,
          from_customer: interaction.from_customer,
          text: interaction.text_body,
          created_at: interaction.created_at,
          attachments: interaction.attachments
        });
        added += isNew ? 1 : 0;
      });
      return added;
    }

    function resynchronise() {
      fetchTicket()
        .then(function (ticket) {
          if (ticket) {
            applyTicket(ticket);
          }
        })
        .catch(function () {
          announce("Live updates paused. Reload the page to see new messages.");
        });
    }

    // The event carries the text, but the ticket has the author's display name and the
    // attachments, so the page reloads the ticket and falls back to the event's text.
    function showInteraction(update) {
      fetchTicket()
        .then(function (ticket) {
          return ticket ? applyTicket(ticket) : 0;
        })
        .catch(function () {
          return 0;
        })
        .then(function (added) {
          update.number = page.dataset.number;
          if (addInteraction(conversation, update) || added > 0) {
            announce("New message on this request.");
          }
        });
    }

    var source = openStream(page, resynchronise);

    source.addEventListener("status", function (event) {
      var update = JSON.parse(event.data);
      setStatus(statusBadge, update.status);
      announce("Status changed to " + update.status + ".");
    });
    source.addEventListener("interaction", function (event) {
      showInteraction(JSON.parse(event.data));
    });
  }

  function ticketRow(update) {
    var row = document.createElement("tr");
    row.dataset.ticketId = update.ticket_id;
    var cells = [
      ["Number", "#" + update.number],
      ["Subject", null],
      ["Status", null],
      ["Last activity", formatTime(update.updated_at)]
    ];
    cells.forEach(function (cell) {
      var td = document.createElement("td");
      td.dataset.label = cell[0];
      if (cell[1] !== null) {
        td.textContent = cell[1];
      }
      row.appendChild(td);
    });
    var link = document.createElement("a");
    link.href = "/tickets/" + update.number;
    link.textContent = update.subject || "(no subject)";
    row.children[1].appendChild(link);
    var badge = document.createElement("span");
    setStatus(badge, update.status);
    row.children[2].className = "status-cell";
    row.children[2].appendChild(badge);
    return row;
  }

  function followList(table) {
    var notice = document.getElementById("live-notice");
    var body = table.tBodies ? table.tBodies[0] : null;

    function rowOf(ticketId) {
      return document.querySelector('tr[data-ticket-id="' + ticketId + '"]');
    }
    function showNotice() {
      if (notice) {
        notice.hidden = false;
      }
    }
    var source = openStream(table, showNotice);

    source.addEventListener("ticket", function (event) {
      var update = JSON.parse(event.data);
      if (body && table.dataset.prepend === "yes") {
        update.ticket_id = update.ticket_id || "";
        body.insertBefore(ticketRow(update), body.firstChild);
        announce("New request #" + update.number + ".");
      } else {
        showNotice();
      }
    });
    source.addEventListener("ticket_added", showNotice);
    source.addEventListener("status", function (event) {
      var update = JSON.parse(event.data);
      var row = rowOf(update.ticket_id);
      if (!row) {
        showNotice();
        return;
      }
      setStatus(row.querySelector(".status"), update.status);
      row.classList.add("has-activity");
    });
    source.addEventListener("interaction", function (event) {
      var update = JSON.parse(event.data);
      var row = rowOf(update.ticket_id);
      if (row) {
        row.classList.add("has-activity");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
    }
    if (!window.EventSource) {
      return;
    }
    var ticket = document.getElementById("ticket");
    if (ticket && ticket.dataset.liveUrl) {
      followTicket(ticket);
    }
    var list = document.getElementById("ticket-table");
    if (list && list.dataset.liveUrl) {
      followList(list);
    }
  });
})();
