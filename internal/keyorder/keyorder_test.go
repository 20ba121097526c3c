package keyorder

import (
	"runtime"
	"slices"
	"testing"
)

func TestTableRecordsByIdentity(t *testing.T) {
	var tb Table
	a := map[string]any{"R": 1, "G": 2, "B": 3}
	b := map[string]any{"R": 1, "G": 2, "B": 3} // equal, but another map
	tb.Record(a, []string{"R", "G", "B"})
	if got := tb.Keys(a); !slices.Equal(got, []string{"R", "G", "B"}) {
		t.Errorf("Keys(a) = %v", got)
	}
	alias := a // the same map under another variable
	if tb.Keys(alias) == nil {
		t.Error("a copy of the map value lost the record")
	}
	if got := tb.Keys(b); got != nil {
		t.Errorf("an equal but distinct map has a record: %v", got)
	}
	tb.Record(map[string]any{"x": 1}, []string{"x"})
	if tb.Len() != 1 {
		t.Errorf("a one-member map was recorded (Len %d)", tb.Len())
	}
	tb.Reset()
	if tb.Keys(a) != nil || tb.Len() != 0 {
		t.Error("Reset kept a record")
	}
	var nilTable *Table
	if nilTable.Keys(a) != nil || nilTable.Len() != 0 {
		t.Error("a nil table answers")
	}
}

func TestRecordedMapsStayDistinct(t *testing.T) {
	// The table holds the maps it records, so a collected map's address
	// cannot be reused for a new map that would then inherit its order.
	var tb Table
	for i := range 1000 {
		m := map[string]any{"b": i, "a": i}
		tb.Record(m, []string{"b", "a"})
		if i%100 == 0 {
			runtime.GC()
		}
	}
	fresh := map[string]any{"b": 0, "a": 0}
	if got := tb.Keys(fresh); got != nil {
		t.Errorf("a new map inherited an order: %v", got)
	}
	if tb.Len() != 1000 {
		t.Errorf("Len = %d, want 1000", tb.Len())
	}
}

func TestMembers(t *testing.T) {
	m := map[string]any{"R": 1, "G": 2, "B": 3}
	rgb := func(map[string]any) []string { return []string{"R", "G", "B"} }
	for name, c := range map[string]struct {
		m      map[string]any
		lookup Lookup
		want   []string
	}{
		"recorded":        {m, rgb, []string{"R", "G", "B"}},
		"no lookup":       {m, nil, []string{"B", "G", "R"}},
		"nothing known":   {m, func(map[string]any) []string { return nil }, []string{"B", "G", "R"}},
		"member added":    {map[string]any{"R": 1, "G": 2, "B": 3, "A": 0, "Z": 0}, rgb, []string{"R", "G", "B", "A", "Z"}},
		"member removed":  {map[string]any{"R": 1, "B": 3}, rgb, []string{"R", "B"}},
		"removed + added": {map[string]any{"B": 3, "x": 0}, rgb, []string{"B", "x"}},
		"empty":           {map[string]any{}, rgb, []string{}},
	} {
		if got := Members(c.m, c.lookup); !slices.Equal(got, c.want) {
			t.Errorf("%s: Members = %v, want %v", name, got, c.want)
		}
	}
	// An exact record is returned itself; otherwise the names go into buf,
	// so a small object is ordered without allocating.
	rec := []string{"R", "G", "B"}
	exact := func(map[string]any) []string { return rec }
	var buf [4]string
	if got := AppendMembers(buf[:0], m, exact); &got[0] != &rec[0] {
		t.Errorf("AppendMembers copied an exact record: %v", got)
	}
	if got := AppendMembers(buf[:0], map[string]any{"R": 1, "B": 3}, exact); &got[0] != &buf[0] || !slices.Equal(got, []string{"R", "B"}) {
		t.Errorf("AppendMembers for a map whose members changed = %v, want [R B] in buf", got)
	}
	if n := testing.AllocsPerRun(100, func() { AppendMembers(buf[:0], m, nil) }); n != 0 {
		t.Errorf("sorting a small object into buf allocates %v times", n)
	}
}

func TestChain(t *testing.T) {
	if Chain(nil, nil) != nil {
		t.Error("a chain of nothing is not nil")
	}
	first := func(m map[string]any) []string {
		if _, ok := m["first"]; ok {
			return []string{"first", "x"}
		}
		return nil
	}
	second := func(map[string]any) []string { return []string{"second"} }
	c := Chain(nil, first, second)
	if got := c(map[string]any{"first": 1, "x": 2}); got[0] != "first" {
		t.Errorf("chain asked the wrong lookup first: %v", got)
	}
	if got := c(map[string]any{"y": 1, "x": 2}); got[0] != "second" {
		t.Errorf("chain did not fall through: %v", got)
	}
}
