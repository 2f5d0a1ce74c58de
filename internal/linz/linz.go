// Package linz checks histories of versioned-register operations on znodes
// for linearizability with porcupine: a read (sync then getData), a blind
// write (setData with version -1) and a compare-and-set (setData with a
// version). An operation whose outcome the client could not learn (a
// timeout, ConnectionLoss) is recorded as unknown: it is given an
// open-ended return, so the checker may place it anywhere after its call,
// taking effect or (as an unknown compare-and-set that would fail) not.
// Tests only.
package linz

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// Kind is an operation's kind.
type Kind uint8

// Operation kinds.
const (
	Read Kind = iota
	Write
	CAS
)

// Input is what a client asked.
type Input struct {
	Kind    Kind
	Key     string
	Value   string // Write, CAS
	Version int32  // CAS: the expected version
}

// Output is what it was answered.
type Output struct {
	Value   string // Read
	Version int32  // the version after a Write/CAS, the version read
	OK      bool   // CAS: false for BadVersion
	Unknown bool   // no answer: it may or may not have happened
}

type reg struct {
	value   string
	version int32
}

// Model is the versioned register, partitioned by key.
var Model = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(Input).Key
			if _, ok := by[k]; !ok {
				keys = append(keys, k)
			}
			by[k] = append(by[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() interface{} { return reg{version: -1} }, // -1: not created yet
	Step: func(state, input, output interface{}) (bool, interface{}) {
		s, in, out := state.(reg), input.(Input), output.(Output)
		switch in.Kind {
		case Read:
			return out.Value == s.value && out.Version == s.version, s
		case Write:
			next := reg{in.Value, s.version + 1}
			return out.Unknown || out.Version == next.version, next
		case CAS:
			if s.version != in.Version {
				return out.Unknown || !out.OK, s
			}
			next := reg{in.Value, s.version + 1}
			if out.Unknown {
				return true, next
			}
			return out.OK && out.Version == next.version, next
		}
		return false, s
	},
	DescribeOperation: func(input, output interface{}) string {
		in, out := input.(Input), output.(Output)
		res := fmt.Sprintf("%q v%d", out.Value, out.Version)
		switch {
		case out.Unknown:
			res = "unknown"
		case in.Kind == CAS && !out.OK:
			res = "bad version"
		}
		switch in.Kind {
		case Read:
			return fmt.Sprintf("read(%s) -> %s", in.Key, res)
		case Write:
			return fmt.Sprintf("write(%s, %q) -> %s", in.Key, in.Value, res)
		}
		return fmt.Sprintf("cas(%s, v%d, %q) -> %s", in.Key, in.Version, in.Value, res)
	},
	DescribeState: func(state interface{}) string {
		s := state.(reg)
		return fmt.Sprintf("%q v%d", s.value, s.version)
	},
}

// History records operations from many clients, with monotonic times.
type History struct {
	mu    sync.Mutex
	start time.Time
	ops   []porcupine.Operation
}

// NewHistory starts a history now.
func NewHistory() *History { return &History{start: time.Now()} }

func (h *History) now() int64 { return int64(time.Since(h.start)) } // monotonic

// Begin marks a call; Done records it with its answer.
func (h *History) Begin() int64 { return h.now() }

// Done records an operation of client that began at call.
func (h *History) Done(client int, call int64, in Input, out Output) {
	ret := h.now()
	if out.Unknown {
		ret = math.MaxInt64 // open-ended: it may take effect at any later time
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
}

// Len is the number of operations recorded.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ops)
}

// Check checks the history; on a violation (or a check that times out) it
// writes porcupine's HTML visualisation to vizPath.
func (h *History) Check(timeout time.Duration, vizPath string) (porcupine.CheckResult, error) {
	h.mu.Lock()
	ops := append([]porcupine.Operation(nil), h.ops...)
	h.mu.Unlock()
	res, info := porcupine.CheckOperationsVerbose(Model, ops, timeout)
	if res != porcupine.Ok && vizPath != "" {
		if err := porcupine.VisualizePath(Model, info, vizPath); err != nil {
			return res, err
		}
	}
	return res, nil
}
