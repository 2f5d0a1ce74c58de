package linz

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/anishathalye/porcupine"
)

// Operations returns a copy of the operations recorded so far.
func (h *History) Operations() []porcupine.Operation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]porcupine.Operation(nil), h.ops...)
}

// Save writes the history as text, one operation a line in call order:
// client, call and return times (ns since the start; "open" for an unknown
// outcome) and the operation as the model describes it.
func (h *History) Save(path string) error {
	ops := h.Operations()
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].Call < ops[j].Call })
	var b strings.Builder
	for _, op := range ops {
		ret := fmt.Sprint(op.Return)
		if op.Return == math.MaxInt64 {
			ret = "open"
		}
		fmt.Fprintf(&b, "client=%d call=%d return=%s %s\n", op.ClientId, op.Call, ret, Model.DescribeOperation(op.Input, op.Output))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
