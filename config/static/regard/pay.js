// Mounts Stripe's card form on the payment page and pays the booking's PaymentIntent: the
// card goes to Stripe (Stripe.js) and only its id comes to us; we confirm on the server,
// and a card that needs its bank's approval is finished by Stripe.js. The only script of
// our own on any page. The page's address holds no secret link: Stripe.js sends it on.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof window.Stripe !== "function") return; // the page says how else to pay
  var stripe = window.Stripe(form.dataset.key);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var status = document.getElementById("card-status");
  var button = document.getElementById("card-submit");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  button.disabled = false; // only now is there a card form to pay with

  function say(text) {
    status.textContent = text;
    button.disabled = false;
  }

  // The card's id at Stripe: a PaymentMethod (Stripe.js today). A stand-in without
  // PaymentMethods (localstripe's Stripe.js) makes a card from a token instead.
  async function cardAtStripe() {
    var made = await stripe.createPaymentMethod({ type: "card", card: card });
    if (made && (made.paymentMethod || made.error)) {
      return made.error ? { error: made.error } : { id: made.paymentMethod.id };
    }
    made = await stripe.createToken(card);
    return made.error ? { error: made.error } : { id: made.token.card.id };
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    status.textContent = form.dataset.working;
    try {
      var found = await cardAtStripe();
      if (found.error) return say(found.error.message || form.dataset.failed);
      var answer = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ card: found.id }),
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
