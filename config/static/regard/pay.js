// Mounts Stripe's card form on the payment page and pays the booking's PaymentIntent:
// the card goes to Stripe (Stripe.js), we confirm on the server, and a card that needs its
// bank's approval is finished by Stripe.js. The only script of our own on any page.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof window.Stripe !== "function") return;
  var stripe = window.Stripe(form.dataset.key);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var status = document.getElementById("card-status");
  var button = document.getElementById("card-submit");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function say(text) {
    status.textContent = text;
    button.disabled = false;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    status.textContent = form.dataset.working;
    try {
      var made = await stripe.createToken(card);
      if (made.error) return say(made.error.message || form.dataset.failed);
      var answer = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ card: made.token.card.id }),
      });
      var body = await answer.json();
      if (!answer.ok) return say(body.message || form.dataset.failed);
      if (body.status === "requires_action") {
        var approved = await stripe.confirmCardPayment(body.client_secret);
        if (approved.error) return say(approved.error.message || form.dataset.failed);
      } else if (body.status !== "succeeded" && body.status !== "processing") {
        return say(body.message || form.dataset.failed);
      }
      window.location.assign(body.next);
    } catch (error) {
      say(form.dataset.failed);
    }
  });
})();
