"""Send every webhook delivery that is due (webhooks/delivery.py sweep): those whose task never
ran (a crash after the commit, a queue that was down), those a dead worker held, retries whose
time has come. Run it every minute from a timer (docs/deploying.md); safe beside the workers and
on several machines (a delivery is held by one sender at a time)."""

from django.core.management.base import BaseCommand

from webhooks.delivery import prune, sweep


class Command(BaseCommand):
    help = "Send the webhook deliveries that are due (the sweep behind the task queue)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help="At most this many deliveries in one run.")
        parser.add_argument("--prune-days", type=int, default=None,
                            help="Also delete events older than this many days with nothing left to send.")

    def handle(self, *args, limit: int, prune_days: int | None, **options):
        if prune_days is not None:
            pruned = prune(prune_days)
            if options["verbosity"]:
                self.stdout.write(f"pruned {pruned} events older than {prune_days} days")
        done = sweep(limit=limit)
        if options["verbosity"]:
            self.stdout.write(f"delivered {done['delivered']}, to retry {done['retry']}, failed {done['failed']}, "
                              f"skipped {done['skipped']}")
