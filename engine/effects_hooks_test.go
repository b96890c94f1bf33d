package engine

import "slices"

// RegisterEffect adds an effect to the registry right after the one named
// after ("" puts it first) until the returned function restores the
// registry, so that a test can add an effect the way the platform's are
// added: in one place.
func RegisterEffect(name, after string, make func(*Runtime) Effect) (restore func()) {
	old := effectRegistry
	at := 0
	if after != "" {
		at = slices.IndexFunc(old, func(s effectSpec) bool { return s.name == after }) + 1
		if at == 0 {
			panic("no effect " + after)
		}
	}
	effectRegistry = slices.Insert(slices.Clone(old), at, effectSpec{name, make})
	return func() { effectRegistry = old }
}

// EffectNames lists the effects the runtime runs, in order.
func (rt *Runtime) EffectNames() []string {
	out := make([]string, len(rt.effects))
	for i, e := range rt.effects {
		out[i] = e.name
	}
	return out
}

// RegisteredEffects lists the registry's effects, in order.
func RegisteredEffects() []string {
	out := make([]string, len(effectRegistry))
	for i, s := range effectRegistry {
		out[i] = s.name
	}
	return out
}

// LedgerRowsOf are the hashes of the ledger rows ch wrote so far.
func LedgerRowsOf(ch *Change) []string { return ch.ledgerRows }
