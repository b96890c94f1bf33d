package metamodel

import "slices"

// A transition's input is what the actor decides when firing it: the amount
// finance approves (less than requested), the headcount HR confirms. The
// fields are given with the event, validated like an edit, and written in the
// transition's transaction; a read-only field may be listed, since the event
// is the one place it is written.

func checkTransitionInputs(p *Project, ps *Problems) {
	for _, a := range p.Apps {
		for _, w := range a.Workflows {
			if w.Target == nil {
				continue
			}
			for _, t := range w.Transitions {
				seen := map[string]bool{}
				for i, name := range t.Input {
					pos := itemPos(t.At, "input", i)
					f := w.Target.Field(name)
					switch {
					case f == nil:
						ps.Addf(pos, "workflow %s: transition %s: input %q is not a field of %s%s", w.Name, t.Event, name, w.Target.Name, suggest(name, fieldNames(w.Target)))
					case f.Computed():
						ps.Addf(pos, "workflow %s: transition %s: input %s is a %s field, which the platform computes", w.Name, t.Event, name, f.Type)
					case seen[name]:
						ps.Addf(pos, "workflow %s: transition %s: input %s is listed twice", w.Name, t.Event, name)
					case slices.Contains(mapKeys(t.Set), name):
						ps.Addf(pos, "workflow %s: transition %s: %s is both an input and set by the transition", w.Name, t.Event, name)
					}
					seen[name] = true
				}
			}
		}
	}
}

func mapKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
