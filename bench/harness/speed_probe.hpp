// The VM's speed, probed between cells: the same fixed work timed before and after each cell,
// so that the report can tell apart the bands this VM runs in (its echo cells have measured
// ≈ 128 k and ≈ 170 k messages/s on different runs of one commit) and flag the cells that
// straddled a change, or that ran in another band than those they are compared with.
#pragma once

namespace cmbench {

// Seconds of wall time the fixed work takes now: the fastest of four timings of a chain of
// dependent multiplications over a 256 KiB table (≈ 2.3 ms each here, idle), the core and
// its caches at work, never the kernel. Cost: ≈ 10 ms.
double probe_speed();

}  // namespace cmbench
