"""The booking rules, one module per concern (seats, holds, payments, cancellation, waitlist,
roster, reminders); each public function is one transaction."""
