# Sourced by the scripts: picks OpenBLAS kernels this CPU runs well when the user has not chosen.
# Debian's OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to SSE3 kernels.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ "$(uname -m)" = "x86_64" ] && grep -q ' avx2 ' /proc/cpuinfo 2>/dev/null; then
  export OPENBLAS_CORETYPE=Haswell
fi
