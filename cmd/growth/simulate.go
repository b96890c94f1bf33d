package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/growth-gov/growth/engine/exchange"
	"github.com/growth-gov/growth/engine/keys"
)

func init() {
	register(command{name: "banksim", summary: "play a party of the exchange (a bank): answer Growth's signed messages with signed replies, write its daily statement", run: runSimulate})
	register(command{name: "simulate", summary: "the same as banksim", run: runSimulate})
}

const simulateUsage = `usage:
  growth banksim PARTY --accept TYPE [--refuse TYPE --refuse-when KEY=REGEXP --reason TEXT]
                 [--statements DIR [--amount-key KEY] [--account-key KEY]]
                 [--exchange nats://127.0.0.1:4222] [--data DIR] [--kind sm2|ed25519] [--growth-key NAME]
  (growth simulate is the same command)

Plays PARTY (an exchange of the definitions, such as the payment app's
agent_bank) for tests and demonstrations: it consumes what Growth sends the
party, checks Growth's signature, and answers each message with a reply signed
with the party's key: TYPE --accept (with a serial number under
--serial-key), or TYPE --refuse when the body's KEY matches REGEXP (with
--reason under --reason-key). A message without a valid signature by Growth
is not answered. Stopped and started again, it answers nothing twice.

With --statements DIR it writes the party's daily statement (对账单),
DIR/PARTY-YYYY-MM-DD.csv with the columns date,msg_id,ref,amount,account,status,serial:
one line per message answered that day, the amount and the account from the
body's --amount-key (amount) and --account-key (payee_account); the status is
the reply type. growth reconcile compares it with Growth's side.

The simulator's keys are its own: DATA/keys/own/KIND.pem signs (growth keys gen
--kind KIND --data DATA) and DATA/keys/parties/NAME.pem is Growth's public key
(growth keys import growth FILE --data DATA). The broker is --exchange (env
GROWTH_EXCHANGE, default nats://127.0.0.1:4222): an external NATS, or the
embedded one of growth serve --exchange-listen 127.0.0.1:4222.`

func runSimulate(args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(os.Stderr, simulateUsage)
		return 2
	}
	party, args := args[0], args[1:]
	fs := flag.NewFlagSet("banksim", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), simulateUsage) }
	url := fs.String("exchange", "", "NATS server (env GROWTH_EXCHANGE; default nats://127.0.0.1:4222)")
	prefix := fs.String("exchange-prefix", "", "first token of the exchange's subjects, as growth serve's (env GROWTH_EXCHANGE_PREFIX; default growth)")
	data := fs.String("data", "", "the simulator's data folder, with its keys (env GROWTH_DATA; default data)")
	kindName := fs.String("kind", "sm2", "the party's key kind: sm2 or ed25519")
	growthKey := fs.String("growth-key", "growth", "the name Growth's public key is imported under")
	accept := fs.String("accept", "", "reply type to a message the party accepts (such as paid)")
	serialKey := fs.String("serial-key", "serial", "body key of the serial number of an accepting reply")
	refuse := fs.String("refuse", "", "reply type to a message the party refuses (such as returned)")
	refuseWhen := fs.String("refuse-when", "", "KEY=REGEXP: refuse a message whose body value KEY matches REGEXP")
	reason := fs.String("reason", "refused by the simulator", "the reason given in a refusing reply")
	reasonKey := fs.String("reason-key", "reason", "body key of the reason of a refusing reply")
	statements := fs.String("statements", "", "folder of the daily statement files (none unless set)")
	amountKey := fs.String("amount-key", "amount", "statement: body key of the amount")
	accountKey := fs.String("account-key", "payee_account", "statement: body key of the account")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *url == "" {
		*url = os.Getenv("GROWTH_EXCHANGE")
	}
	if *url == "" {
		*url = "nats://127.0.0.1:4222"
	}
	if *accept == "" {
		return fail("banksim", errors.New("--accept is required: the reply type to a message the party accepts"))
	}
	sim := exchange.SimOptions{Party: party, Accept: *accept, SerialKey: *serialKey, Refuse: *refuse, Reason: *reason, ReasonKey: *reasonKey,
		StatementDir: *statements, AmountKey: *amountKey, AccountKey: *accountKey}
	if *refuse != "" || *refuseWhen != "" {
		key, expr, ok := strings.Cut(*refuseWhen, "=")
		if !ok || key == "" || *refuse == "" {
			return fail("banksim", errors.New("--refuse TYPE and --refuse-when KEY=REGEXP go together"))
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return fail("banksim", fmt.Errorf("--refuse-when: %w", err))
		}
		sim.RefuseKey, sim.RefuseWhen = key, re
	}
	kind, err := keys.ParseKind(*kindName)
	if err != nil {
		return fail("banksim", err)
	}
	dir := *data
	if dir == "" {
		dir = dataDir("", "")
	}
	store := keys.Store{Dir: filepath.Join(dir, "keys")} // the simulated party's own keys, never the platform's
	if sim.Key, err = store.Own(kind); err != nil {
		return fail("banksim", err)
	}
	if sim.Growth, err = store.Party(*growthKey); err != nil {
		return fail("banksim", err)
	}
	log := newLogger(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *prefix == "" {
		*prefix = os.Getenv("GROWTH_EXCHANGE_PREFIX")
	}
	b, err := exchange.Open(exchange.Options{URL: *url, Prefix: *prefix, Logger: log})
	if err != nil {
		return fail("banksim", err)
	}
	defer b.Close()
	var stats *exchange.SimStats
	var stopSim func()
	for {
		// The broker may not be up yet (growth serve starting): try again.
		stats, stopSim, err = exchange.Simulate(ctx, b, sim)
		if err == nil {
			break
		}
		log.Warn("banksim: waiting for the broker", "err", err)
		select {
		case <-ctx.Done():
			return 1
		case <-time.After(2 * time.Second):
		}
	}
	log.Info("banksim: playing the party", "party", party, "broker", *url, "key", sim.Key.Public().Fingerprint()[:16])
	<-ctx.Done()
	stopSim()
	log.Info("banksim: stopped", "accepted", stats.Accepted.Load(), "refused", stats.Refused.Load(), "bad_signature", stats.BadSignature.Load())
	return 0
}
