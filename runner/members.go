package runner

import "github.com/go-arazzo/arazzo/internal/keyorder"

// RecordMembers implements expression.MemberRecorder: objects a step
// attempt's values build keep the member order the document wrote, for
// the parameters and bodies the attempt sends.
func (s *scope) RecordMembers(obj map[string]any, keys []string) {
	s.run.built.Record(obj, keys)
}

// keepOrder gives cp, a copy of orig made by a replacement, orig's member
// order; members orig lacks (the one a replacement adds, or members a
// JSONPath replacement creates) come last, sorted.
func (run *workflowRun) keepOrder(orig, cp map[string]any) {
	keys := keyorder.Members(orig, run.order)
	if len(cp) != len(keys) {
		keys = keyorder.Members(cp, func(map[string]any) []string { return keys })
	}
	run.built.Record(cp, keys)
}
