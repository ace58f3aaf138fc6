"""Local, deterministic mirrors of the crawled sites, with ground truth, for tests, demos and benchmarks."""

from qacrawler.sandbox.doctorqna import DoctorQnaSite
from qacrawler.sandbox.server import SandboxServer

__all__ = ["DoctorQnaSite", "SandboxServer"]
