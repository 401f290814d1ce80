"""Speed benchmark of jaxsurrogate's spike functions (issue #6).

Sections:

* element-wise: every canonical shape, forward / grad / value_and_grad, each
  jitted, as a ratio to the memory floor ``x * w`` (read two, write one) at
  the same size; 1.0 = at the floor, higher is faster.
* overhead: each jaxsurrogate function against a hand-written
  ``jax.custom_vjp`` of the same maths (ratio = hand-written time / ours).
* a real step: ``jit(grad(loss))`` of a LIF layer (T=100, batch 256, 784->512),
  for jaxsurrogate, a hand-written custom_vjp and, in their own subprocesses,
  the peers that are installed (spyx, braintools, Norse, snnTorch), with the
  step's two matrix products alone (the bound on any ratio between libraries)
  and minor page faults per call; in the full run every peer runs under
  glibc's malloc and again under tcmalloc (``--allocators``), which changes
  the torch peers' times by 2-3x.
* memory: compiled temporary memory of that step, with and without
  ``jax.checkpoint`` of the scan step.

Every timing is the median over interleaved repeats: in each repeat every
variant of a group runs once, so a slow moment of a shared machine hits all of
them alike. Ratios are taken within a group, never across processes.

The peers are imported only in subprocesses run with ``--peer-python``
(default ``$JAXSURROGATE_BENCH_PYTHON``, else ``venv-bench/bin/python`` in the
checkout): they pin other stacks (and braintools switches JAX's x64 mode off
on import), so they never share a process with the main measurement.

Modules: ``cli`` (command line, modes), ``machine`` (machine, allocators,
page faults), ``timing`` (interleaved repeats), ``twins`` (plain custom_vjp
twins of our functions), ``elementwise``, ``lif`` (the LIF step, memory),
``peers`` (the peer workers and their subprocesses), ``targets``, ``report``
(markdown) and ``chart`` (PNG).
"""
