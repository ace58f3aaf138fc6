"""Local, deterministic mirrors of the crawled sites, with ground truth, for tests, demos and benchmarks."""

from qacrawler.sandbox.adoctor import AdoctorSite
from qacrawler.sandbox.doctorqna import DoctorQnaSite
from qacrawler.sandbox.server import Latency, SandboxServer
from qacrawler.sandbox.tw_ehospital import TwEHospitalSite

__all__ = ["AdoctorSite", "DoctorQnaSite", "Latency", "SandboxServer", "TwEHospitalSite"]
