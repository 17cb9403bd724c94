from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from dumb_pypi.errors import InvalidFilename
from dumb_pypi.errors import UnparseableFilename
from dumb_pypi.errors import UnsafeFilename
from dumb_pypi.filenames import parse_filename
from dumb_pypi.filenames import ParsedFilename

HUGE_LIST = (
    Path(__file__).parent.parent.parent / "shared" / "data" / "package-list-huge.txt"
)

# Real filenames from PyPI, and what a person reads in them.
REAL_FILENAMES = (
    # Wheels.
    ("aspy.yaml-0.2.1-py2.py3-none-any.whl", "aspy.yaml", "0.2.1", "bdist_wheel"),
    ("dumb_init-1.2.0-py2.py3-none-manylinux1_x86_64.whl", "dumb_init", "1.2.0", "bdist_wheel"),
    ("eventmq-0.2.6.6-1-py2-none-any.whl", "eventmq", "0.2.6.6", "bdist_wheel"),
    ("hug-1.1.0-1-py2.py3-none-any.whl", "hug", "1.1.0", "bdist_wheel"),
    ("jinja2_django_tags-0.4-1-py2.py3-none-any.whl", "jinja2_django_tags", "0.4", "bdist_wheel"),
    ("mayan_edms-1.1.0-1502100955-py2-none-any.whl", "mayan_edms", "1.1.0", "bdist_wheel"),
    ("yt-3.2.1-cp34-cp34m-macosx_10_6_intel.macosx_10_6_x86_64.macosx_10_9_intel.macosx_10_9_x86_64.macosx_10_10_intel.macosx_10_10_x86_64.whl", "yt", "3.2.1", "bdist_wheel"),
    ("yt-3.1-cp27-none-macosx_10_6_intel.macosx_10_6_x86_64.macosx_10_9_intel.macosx_10_9_x86_64.macosx_10_10_intel.macosx_10_10_x86_64.whl", "yt", "3.1", "bdist_wheel"),
    ("unicodedata2-9.0.0.post4-cp35-cp35m-macosx_10_6_intel.macosx_10_9_intel.macosx_10_9_x86_64.macosx_10_10_intel.macosx_10_10_x86_64.whl", "unicodedata2", "9.0.0.post4", "bdist_wheel"),
    ("scikit_learn-0.17-cp34-cp34m-macosx_10_6_intel.macosx_10_9_intel.macosx_10_9_x86_64.macosx_10_10_intel.macosx_10_10_x86_64.whl", "scikit_learn", "0.17", "bdist_wheel"),
    ("rasterio-1.0a3-cp27-cp27mu-manylinux1_x86_64.whl", "rasterio", "1.0a3", "bdist_wheel"),
    ("libsourcemap-0.3.1-cp27-none-manylinux1_x86_64.whl", "libsourcemap", "0.3.1", "bdist_wheel"),
    ("preshed-0.46.3-cp27-cp27m-manylinux1_x86_64.whl", "preshed", "0.46.3", "bdist_wheel"),
    ("numpy-1.11.1-cp34-cp34m-manylinux1_i686.whl", "numpy", "1.11.1", "bdist_wheel"),
    ("xlmhg-2.2.3-cp27-cp27mu-manylinux1_i686.whl", "xlmhg", "2.2.3", "bdist_wheel"),
    ("json_cherry_pick-0.3.4-cp33-cp33m-manylinux1_x86_64.whl", "json_cherry_pick", "0.3.4", "bdist_wheel"),
    ("brotlipy-0.4.0-cp33-cp33m-manylinux1_i686.whl", "brotlipy", "0.4.0", "bdist_wheel"),
    ("brotlipy-0.3.0-cp34-cp34m-win_amd64.whl", "brotlipy", "0.3.0", "bdist_wheel"),
    ("somoclu-1.7.0-cp35-cp35m-win32.whl", "somoclu", "1.7.0", "bdist_wheel"),
    ("gmpy2-2.0.8-cp26-none-win_amd64.whl", "gmpy2", "2.0.8", "bdist_wheel"),
    ("sima-0.3.0-cp27-none-win32.whl", "sima", "0.3.0", "bdist_wheel"),
    ("zest.releaser-6.1-py2.py3-none-any.whl", "zest.releaser", "6.1", "bdist_wheel"),
    ("oslo.log-1.5.0-py2.py3-none-any.whl", "oslo.log", "1.5.0", "bdist_wheel"),
    ("onegov.gis-0.1.0-py3-none-any.whl", "onegov.gis", "0.1.0", "bdist_wheel"),
    ("Werkzeug-0.11.9-py2.py3-none-any.whl", "Werkzeug", "0.11.9", "bdist_wheel"),
    ("Django-1.11a1-py2.py3-none-any.whl", "Django", "1.11a1", "bdist_wheel"),
    ("pydocumentdb-0.9.0_preview-py2-none-any.whl", "pydocumentdb", "0.9.0_preview", "bdist_wheel"),
    ("rapid_router-1.0.0.post0.dev133-py2.py3-none-any.whl", "rapid_router", "1.0.0.post0.dev133", "bdist_wheel"),
    ("chidg-0.1.0.post16-py2-none-any.whl", "chidg", "0.1.0.post16", "bdist_wheel"),
    ("pyjen-0.0.8dev-py2.py3-none-any.whl", "pyjen", "0.0.8dev", "bdist_wheel"),
    ("ff-0.0.3-py2.py3-none-any.whl", "ff", "0.0.3", "bdist_wheel"),
    ("internetarchive-1.0.7-py2.py3-none-any.whl", "internetarchive", "1.0.7", "bdist_wheel"),
    ("python_saharaclient-0.8.0-py2-none-any.whl", "python_saharaclient", "0.8.0", "bdist_wheel"),
    ("thefuck-3.13-py2.py3-none-any.whl", "thefuck", "3.13", "bdist_wheel"),
    ("chellow-1314-py2-none-any.whl", "chellow", "1314", "bdist_wheel"),
    # Wheels packaging refuses (a version or tag that is not valid), which
    # PyPI still serves.
    ("mongosql-1.1.0_2-py2-none-any.whl", "mongosql", "1.1.0_2", "bdist_wheel"),
    ("ztv-0.2.1_6dev2214-py2-none-any.whl", "ztv", "0.2.1_6dev2214", "bdist_wheel"),
    ("leap.bitmask-0.3.5_2_g56402b3-py27-none-any.whl", "leap.bitmask", "0.3.5_2_g56402b3", "bdist_wheel"),
    ("overc-1.0.9_1-py2-none-any.whl", "overc", "1.0.9_1", "bdist_wheel"),
    ("grablib-0.4-py35+-none-any.whl", "grablib", "0.4", "bdist_wheel"),
    ("playlyfe-0.1.1-2.7.6-none-any.whl", "playlyfe", "0.1.1", "bdist_wheel"),
    ("playlyfe_graphql-0.1.0-3.5.1-none-any.whl", "playlyfe_graphql", "0.1.0", "bdist_wheel"),
    ("theark-0.0.5-2.7-none-any.whl", "theark", "0.0.5", "bdist_wheel"),
    ("circbuf-0.1b1-py32, py33, py34-none-any.whl", "circbuf", "0.1b1", "bdist_wheel"),
    # sdists, .tar.gz.
    ("aspy.yaml-0.2.1.tar.gz", "aspy.yaml", "0.2.1", "sdist"),
    ("python-dateutil-2.8.2.tar.gz", "python-dateutil", "2.8.2", "sdist"),
    ("0x10c-asm-0.0.1.tar.gz", "0x10c-asm", "0.0.1", "sdist"),
    ("1to001-0.1.0.tar.gz", "1to001", "0.1.0", "sdist"),
    ("approxeng.input-0.4.0.tar.gz", "approxeng.input", "0.4.0", "sdist"),
    ("apsg-0.2.2.tar.gz", "apsg", "0.2.2", "sdist"),
    ("apt-wrapper-1.09.tar.gz", "apt-wrapper", "1.09", "sdist"),
    ("ara-0.10.0.tar.gz", "ara", "0.10.0", "sdist"),
    ("arangodb-0.0.10.tar.gz", "arangodb", "0.0.10", "sdist"),
    ("autoflake-0.1.tar.gz", "autoflake", "0.1", "sdist"),
    ("bda.cache-1.1.1.tar.gz", "bda.cache", "1.1.1", "sdist"),
    ("colour-science-0.3.2.tar.gz", "colour-science", "0.3.2", "sdist"),
    ("django-improved-inlines-0.1.3a.tar.gz", "django-improved-inlines", "0.1.3a", "sdist"),
    ("django-mqueue-0.4.3.tar.gz", "django-mqueue", "0.4.3", "sdist"),
    ("djedi-cms-jinja2-2.0.1.tar.gz", "djedi-cms-jinja2", "2.0.1", "sdist"),
    ("drf-querystringfilter-0.3.tar.gz", "drf-querystringfilter", "0.3", "sdist"),
    ("efel-2.3.33.tar.gz", "efel", "2.3.33", "sdist"),
    ("grazyna-0.5.5.1.tar.gz", "grazyna", "0.5.5.1", "sdist"),
    ("kombu-1.3.4.tar.gz", "kombu", "1.3.4", "sdist"),
    ("lemon-metadata-0.1.3.tar.gz", "lemon-metadata", "0.1.3", "sdist"),
    ("nomad-1.0.tar.gz", "nomad", "1.0", "sdist"),
    ("pyrsistent-0.4.0.tar.gz", "pyrsistent", "0.4.0", "sdist"),
    ("pytest-scenario-1.0a1.tar.gz", "pytest-scenario", "1.0a1", "sdist"),
    ("pytest-subunit-0.0.3.tar.gz", "pytest-subunit", "0.0.3", "sdist"),
    ("s3utils-0.5.2.tar.gz", "s3utils", "0.5.2", "sdist"),
    ("tsuru-hm-0.1.10.tar.gz", "tsuru-hm", "0.1.10", "sdist"),
    ("watch-fs-0.1.0.tar.gz", "watch-fs", "0.1.0", "sdist"),
    ("django-encrypted-settings-0.1.0.tar.gz", "django-encrypted-settings", "0.1.0", "sdist"),
    ("django-yandex-kassa-0.9.4.tar.gz", "django-yandex-kassa", "0.9.4", "sdist"),
    ("ethereum-alarm-clock-client-7.0.0b7.tar.gz", "ethereum-alarm-clock-client", "7.0.0b7", "sdist"),
    ("taiga-contrib-slack-3.0.1.tar.gz", "taiga-contrib-slack", "3.0.1", "sdist"),
    ("ansible-modules-hashivault-0.7.tar.gz", "ansible-modules-hashivault", "0.7", "sdist"),
    ("python-amazon-product-api-0.2.7.tar.gz", "python-amazon-product-api", "0.2.7", "sdist"),
    ("WebOb-1.6.0a0.tar.gz", "WebOb", "1.6.0a0", "sdist"),
    ("Flask-RESTy-Tenants-0.3.0.tar.gz", "Flask-RESTy-Tenants", "0.3.0", "sdist"),
    ("Werkzeug-0.3.tar.gz", "Werkzeug", "0.3", "sdist"),
    ("cypress_common-0.2.6.tar.gz", "cypress_common", "0.2.6", "sdist"),
    ("es_search_exporter-0.1.0.tar.gz", "es_search_exporter", "0.1.0", "sdist"),
    ("zc_common-0.2.10.tar.gz", "zc_common", "0.2.10", "sdist"),
    ("pyannote.db.prism-0.5.tar.gz", "pyannote.db.prism", "0.5", "sdist"),
    ("isotoma.recipe.django-3.0.0.tar.gz", "isotoma.recipe.django", "3.0.0", "sdist"),
    ("collective.js.galleriffic-1.0b1.tar.gz", "collective.js.galleriffic", "1.0b1", "sdist"),
    ("twitter.common.lang-0.3.7.tar.gz", "twitter.common.lang", "0.3.7", "sdist"),
    ("s6-0.post6.dev1.tar.gz", "s6", "0.post6.dev1", "sdist"),
    ("xhtml2pdf-0.0.4.tar.gz", "xhtml2pdf", "0.0.4", "sdist"),
    ("caniusepython3-3.0.0.tar.gz", "caniusepython3", "3.0.0", "sdist"),
    ("bsddb3-5.2.0.tar.gz", "bsddb3", "5.2.0", "sdist"),
    # A digit after a dash inside the name.  "3k" and "786ms_shops" cannot
    # be versions, so the version starts later; "2", "25", "1" and "2015"
    # could (ddlib-2013-02-18 is a date version), so the first such dash
    # wins.
    ("negotiator-3k-1.0.0.tar.gz", "negotiator-3k", "1.0.0", "sdist"),
    ("django-786ms_shops-0.1.1.tar.gz", "django-786ms_shops", "0.1.1", "sdist"),
    ("django-mailer-2-1.3.3.tar.gz", "django-mailer", "2-1.3.3", "sdist"),
    ("django-hudson-25-0.9.0.tar.gz", "django-hudson", "25-0.9.0", "sdist"),
    ("upld-tester-1-0.1.1.tar.gz", "upld-tester", "1-0.1.1", "sdist"),
    ("helloworld-2015-1.0.0.tar.gz", "helloworld", "2015-1.0.0", "sdist"),
    ("ddlib-2013-02-18.tar.gz", "ddlib", "2013-02-18", "sdist"),
    # Versions that are not PEP 440, listed as spelled.
    ("scalr-manage-7.7.1-a.4.tar.gz", "scalr-manage", "7.7.1-a.4", "sdist"),
    ("bika.lims-3.1.5.1-r0.tar.gz", "bika.lims", "3.1.5.1-r0", "sdist"),
    ("bika.lims-3.0rc3.5.tar.gz", "bika.lims", "3.0rc3.5", "sdist"),
    ("fsqio.pants.contrib.buildgen.python-1.1.0-pre0.tar.gz", "fsqio.pants.contrib.buildgen.python", "1.1.0-pre0", "sdist"),
    ("sure-0.1.5-unreleased.tar.gz", "sure", "0.1.5-unreleased", "sdist"),
    ("powny-1.2.0-alpha-20141117-1928-2059391.tar.gz", "powny", "1.2.0-alpha-20141117-1928-2059391", "sdist"),
    ("pyvmomi-5.5.0-2014.1.1.tar.gz", "pyvmomi", "5.5.0-2014.1.1", "sdist"),
    ("django-settings-1.3-1-beta.tar.gz", "django-settings", "1.3-1-beta", "sdist"),
    ("django-valuate-1.0-beta-2.2.tar.gz", "django-valuate", "1.0-beta-2.2", "sdist"),
    ("commcare-export-0.11.6-4-g295311e.tar.gz", "commcare-export", "0.11.6-4-g295311e", "sdist"),
    ("softwarefabrica.django.common-0.9dev-BZR-r33-panta-elasticworld.org-20091021152850-jlekcpgm5x5a9get.tar.gz", "softwarefabrica.django.common", "0.9dev-BZR-r33-panta-elasticworld.org-20091021152850-jlekcpgm5x5a9get", "sdist"),
    ("murano-repository-0.4.a28.g0c584bc.tar.gz", "murano-repository", "0.4.a28.g0c584bc", "sdist"),
    ("lava-serial-0.1.dev3b59b34.tar.gz", "lava-serial", "0.1.dev3b59b34", "sdist"),
    ("ooo2tools.daemon-0.1dev-r2150.tar.gz", "ooo2tools.daemon", "0.1dev-r2150", "sdist"),
    ("motmot.wxglvideo-0.6.1.dev-r477.tar.gz", "motmot.wxglvideo", "0.6.1.dev-r477", "sdist"),
    ("formish-0.7e.tar.gz", "formish", "0.7e", "sdist"),
    ("django-async-reports-0.2.6-pre-alpha.tar.gz", "django-async-reports", "0.2.6-pre-alpha", "sdist"),
    ("bipython-0.1.3.-37c4767-.tar.gz", "bipython", "0.1.3.-37c4767-", "sdist"),
    ("thrivext-0.0.3    .tar.gz", "thrivext", "0.0.3    ", "sdist"),
    # No dash before a digit: PEP 440's leading "v", then the last dash.
    ("chomsky-v0.0.1.tar.gz", "chomsky", "v0.0.1", "sdist"),
    ("sqmpy-v1.0.0-alpha.3.tar.gz", "sqmpy", "v1.0.0-alpha.3", "sdist"),
    ("uservoice-v0.0.10.tar.gz", "uservoice", "v0.0.10", "sdist"),
    ("toxin-c6cd168.tar.gz", "toxin", "c6cd168", "sdist"),
    ("tiddlywebplugins.form-dev.tar.gz", "tiddlywebplugins.form", "dev", "sdist"),
    ("avalanchetoolbox-.2.tar.gz", "avalanchetoolbox", ".2", "sdist"),
    ("django-cuddlybuddly-storage-s3.tar.gz", "django-cuddlybuddly-storage", "s3", "sdist"),
    # sdists, other archives.
    ("popquotes-1.2.zip", "popquotes", "1.2", "sdist"),
    ("py-raildriver-1.1.7.zip", "py-raildriver", "1.1.7", "sdist"),
    ("algopy-0.3.1.zip", "algopy", "0.3.1", "sdist"),
    ("0805nexter-1.1.0.zip", "0805nexter", "1.1.0", "sdist"),
    ("buildboticon-0.2.0.zip", "buildboticon", "0.2.0", "sdist"),
    ("collective.virtualtreecategories-0.3.zip", "collective.virtualtreecategories", "0.3", "sdist"),
    ("plonetheme.onegov-1.1.0.zip", "plonetheme.onegov", "1.1.0", "sdist"),
    ("tableutil-1.0.6.zip", "tableutil", "1.0.6", "sdist"),
    ("winrandom-ctypes-1.0.zip", "winrandom-ctypes", "1.0", "sdist"),
    ("sirepo-20161231.458.zip", "sirepo", "20161231.458", "sdist"),
    ("notebook-4.0.5.ZIP", "notebook", "4.0.5", "sdist"),
    ("paramiko-0.1-bulbasaur.zip", "paramiko", "0.1-bulbasaur", "sdist"),
    ("pymage-0.3.0patch1.zip", "pymage", "0.3.0patch1", "sdist"),
    ("baklabel-1.0.3-2729-py3.2.zip", "baklabel", "1.0.3-2729-py3.2", "sdist"),
    # A dash before the platform is not what bdist_dumb writes: these are
    # imageio's hand-named source archives, like its "-linux64" ones.
    ("imageio-1.1-win32.zip", "imageio", "1.1-win32", "sdist"),
    ("imageio-1.3-linux64.zip", "imageio", "1.3-linux64", "sdist"),
    ("bgpdumpy-1.0.1.tgz", "bgpdumpy", "1.0.1", "sdist"),
    ("disque-0.11.tgz", "disque", "0.11", "sdist"),
    ("notebook-4.0.5.tgz", "notebook", "4.0.5", "sdist"),
    ("pathos-0.1a1.tgz", "pathos", "0.1a1", "sdist"),
    ("salsita-gitflow-0.6.4dev.tar.bz2", "salsita-gitflow", "0.6.4dev", "sdist"),
    ("ll-orasql-1.25.2.tar.bz2", "ll-orasql", "1.25.2", "sdist"),
    ("mayavi-4.4.4.tar.bz2", "mayavi", "4.4.4", "sdist"),
    ("pymorphy2-dicts-2.4.391090.3670647.tar.bz2", "pymorphy2-dicts", "2.4.391090.3670647", "sdist"),
    ("stuf-0.6.0.tar.bz2", "stuf", "0.6.0", "sdist"),
    # bdist_dumb: the version is followed by ".platform".
    ("activegit-0.25.macosx-10.5-x86_64.tar.gz", "activegit", "0.25", "bdist_dumb"),
    ("adi.devgen-0.3.linux-x86_64.tar.gz", "adi.devgen", "0.3", "bdist_dumb"),
    ("aiengine-1.6.1.linux-x86_64.tar.gz", "aiengine", "1.6.1", "bdist_dumb"),
    ("ansible-roles-0.1.0.macosx-10.10-intel.tar.gz", "ansible-roles", "0.1.0", "bdist_dumb"),
    ("python-crontab-0.7.linux-i686.tar.gz", "python-crontab", "0.7", "bdist_dumb"),
    ("django-systemjs-1.4b4.linux-x86_64.tar.gz", "django-systemjs", "1.4b4", "bdist_dumb"),
    ("stock-0.1.freebsd-10.0-RELEASE-amd64.tar.gz", "stock", "0.1", "bdist_dumb"),
    ("matchtpl-0.1.0.dev3.win32.zip", "matchtpl", "0.1.0.dev3", "bdist_dumb"),
    ("matchtpl-0.1.1.win32.tar.gz", "matchtpl", "0.1.1", "bdist_dumb"),
    ("nonblockingloghandler-0.5.0b.win32.zip", "nonblockingloghandler", "0.5.0b", "bdist_dumb"),
    ("python-nikeplus-0.21.win32.zip", "python-nikeplus", "0.21", "bdist_dumb"),
    ("gitshelve-0.1.0.win-amd64.zip", "gitshelve", "0.1.0", "bdist_dumb"),
    ("parsec-3.3.win-amd64.zip", "parsec", "3.3", "bdist_dumb"),
    ("pysrt-0.2.3.macosx-10.6-universal.tar.gz", "pysrt", "0.2.3", "bdist_dumb"),
    ("django-pingback-0.1.4.macosx-10.5-i386.tar.gz", "django-pingback", "0.1.4", "bdist_dumb"),
    ("smisk-1.0.1dev1.macosx-10.3-i386.tar.gz", "smisk", "1.0.1dev1", "bdist_dumb"),
    ("pypi-stat-1.2.3f.linux-x86_64.tar.gz", "pypi-stat", "1.2.3f", "bdist_dumb"),
    ("scalr-ctl-1.0.24.macosx-10.11-intel.tar.gz", "scalr-ctl", "1.0.24", "bdist_dumb"),
    ("feincms-elephantblog-1.0.2.macosx-10.6-intel.tar.gz", "feincms-elephantblog", "1.0.2", "bdist_dumb"),
    # Eggs.
    ("cmd2-0.3.5-py2.5.egg", "cmd2", "0.3.5", "bdist_egg"),
    ("django_dynamic_structure-0.0.12-py2.7.egg", "django_dynamic_structure", "0.0.12", "bdist_egg"),
    ("quintagroup.seoptimizer-2.0.8-py2.4.egg", "quintagroup.seoptimizer", "2.0.8", "bdist_egg"),
    ("pyasn1_modules-0.0.4-py3.1.egg", "pyasn1_modules", "0.0.4", "bdist_egg"),
    ("persistent-4.0.3-py2.7-win32.egg", "persistent", "4.0.3", "bdist_egg"),
    ("persistent-4.2.0-py3.4-win32.egg", "persistent", "4.2.0", "bdist_egg"),
    ("persistent-4.1.1-py3.2-win-amd64.egg", "persistent", "4.1.1", "bdist_egg"),
    ("beyondskins.ploneday.site2010-1.0.3-py2.4.egg", "beyondskins.ploneday.site2010", "1.0.3", "bdist_egg"),
    ("surf.sesame2-0.2_r112-py2.5.egg", "surf.sesame2", "0.2_r112", "bdist_egg"),
    ("toil_lib-1.2.0a1.dev137-py2.7.egg", "toil_lib", "1.2.0a1.dev137", "bdist_egg"),
    ("gnureadline-6.2.5-py2.7-macosx-10.5-x86_64.egg", "gnureadline", "6.2.5", "bdist_egg"),
    ("dipy-0.5.0-py2.5-macosx-10.3-ppc.egg", "dipy", "0.5.0", "bdist_egg"),
    ("chemesis3-0.0.0_alpha-py2.5-macosx-10.6-i386.egg", "chemesis3", "0.0.0_alpha", "bdist_egg"),
    ("simplejson-1.7-py2.4-freebsd-6.1-RELEASE-p3-i386.egg", "simplejson", "1.7", "bdist_egg"),
    ("sima-1.0.2-py2.7-linux-x86_64.egg", "sima", "1.0.2", "bdist_egg"),
    ("functional-C-0.5-py2.4-linux-i686.egg", "functional-C", "0.5", "bdist_egg"),
    ("functional-Py-0.7.0-py2.5.egg", "functional-Py", "0.7.0", "bdist_egg"),
    ("enstaller-4.4.0-1.egg", "enstaller", "4.4.0-1", "bdist_egg"),
    ("merlin-1.6.egg", "merlin", "1.6", "bdist_egg"),
    ("softwarefabrica.django.common-0.9dev_BZR_r36_panta_elasticworld.org_20091216090517_3o494s4iearpm0rw-py2.5.egg", "softwarefabrica.django.common", "0.9dev_BZR_r36_panta_elasticworld.org_20091216090517_3o494s4iearpm0rw", "bdist_egg"),
    ("iw.recipe.subversion-0.1dev_r6512-py2.4.egg", "iw.recipe.subversion", "0.1dev_r6512", "bdist_egg"),
    ("atreal.usersinout-1.0beta4-py2.4.egg", "atreal.usersinout", "1.0beta4", "bdist_egg"),
    ("abl.util-0.1.8_20111208-py2.5.egg", "abl.util", "0.1.8_20111208", "bdist_egg"),
    ("ll_orasql-1.17.5-py2.5.egg", "ll_orasql", "1.17.5", "bdist_egg"),
    ("capture0-0.1.44-py3.5.egg", "capture0", "0.1.44", "bdist_egg"),
    ("pkt-0.0.3-py3.5.egg", "pkt", "0.0.3", "bdist_egg"),
    ("appdo-0.1.2-py2.7.egg", "appdo", "0.1.2", "bdist_egg"),
    ("python_pandora-0.8_5-py2.7.egg", "python_pandora", "0.8_5", "bdist_egg"),
    ("overc-1.0.0_1-py2.7.egg", "overc", "1.0.0_1", "bdist_egg"),
    ("plone.app.portlets-1.0b1.1-py2.4.egg", "plone.app.portlets", "1.0b1.1", "bdist_egg"),
    # Windows installers, and the other platforms bdist_wininst ran on.
    ("gsshapy-1.0.0.win-amd64.exe", "gsshapy", "1.0.0", "bdist_wininst"),
    ("buildboticon-0.3.2.win32.exe", "buildboticon", "0.3.2", "bdist_wininst"),
    ("livefyre-1.3.0.macosx-10.6-intel.exe", "livefyre", "1.3.0", "bdist_wininst"),
    ("somoclu-1.7.0.win-amd64-py2.7.exe", "somoclu", "1.7.0", "bdist_wininst"),
    ("guppy-0.1.9.win32-py2.6.exe", "guppy", "0.1.9", "bdist_wininst"),
    ("gnusocial-1.0.0.linux-x86_64.exe", "gnusocial", "1.0.0", "bdist_wininst"),
    ("txnats-0.7.3.macosx-10.10-x86_64.exe", "txnats", "0.7.3", "bdist_wininst"),
    ("django-aggregates-0.1.2.macosx-10.9-x86_64.exe", "django-aggregates", "0.1.2", "bdist_wininst"),
    ("django-render-url-0.9.9.2.macosx-10.10-intel.exe", "django-render-url", "0.9.9.2", "bdist_wininst"),
    ("ephem-3.7.5.3.win-amd64-py3.4.exe", "ephem", "3.7.5.3", "bdist_wininst"),
    ("aneris-0.1.linux-i686.exe", "aneris", "0.1", "bdist_wininst"),
    ("avalanchetoolbox-.4.1.linux-x86_64.exe", "avalanchetoolbox", ".4.1", "bdist_wininst"),
    ("album-dl-0.2.0.win-amd64.exe", "album-dl", "0.2.0", "bdist_wininst"),
    ("azurepython3-1.7.2.win-amd64.exe", "azurepython3", "1.7.2", "bdist_wininst"),
    ("cclib-0.9.py2.4.exe", "cclib", "0.9", "bdist_wininst"),
    ("cclib-0.6b-py2.4.exe", "cclib", "0.6b", "bdist_wininst"),
    ("pyserial-2.7.win32_py3k.exe", "pyserial", "2.7", "bdist_wininst"),
    ("taurus-3.2.0.win.exe", "taurus", "3.2.0", "bdist_wininst"),
    ("baklabel-1.0.3-2728-py2.7.win32.exe", "baklabel", "1.0.3-2728", "bdist_wininst"),
    ("dragonfly-0.6.4-rc2.win32.exe", "dragonfly", "0.6.4-rc2", "bdist_wininst"),
    ("dragonfly-0.6.4rc3.dev-r57.win32.exe", "dragonfly", "0.6.4rc3.dev-r57", "bdist_wininst"),
    ("pypops-201408-r2.macosx-10.7-x86_64.exe", "pypops", "201408-r2", "bdist_wininst"),
    ("uservoice-v0.0.1.macosx-10.7-intel.exe", "uservoice", "v0.0.1", "bdist_wininst"),
    ("xrayutilities-1.1.0-beta.win-amd64-py2.7.exe", "xrayutilities", "1.1.0-beta", "bdist_wininst"),
    ("sloth-ci.validators.github-1.0.7.win-amd64.exe", "sloth-ci.validators.github", "1.0.7", "bdist_wininst"),
    ("motmot.wxglvideo-0.6.3.win32.exe", "motmot.wxglvideo", "0.6.3", "bdist_wininst"),
    ("numpy-1.7.0.win32-py3.3.exe", "numpy", "1.7.0", "bdist_wininst"),
    ("scikit-learn-0.18.1.win32-py2.7.exe", "scikit-learn", "0.18.1", "bdist_wininst"),
    ("onepy-0.2.win32.exe", "onepy", "0.2", "bdist_wininst"),
    ("1to001-0.2.1.win32.exe", "1to001", "0.2.1", "bdist_wininst"),
    ("nosetp-1.0.0.0-r1.win32.exe", "nosetp", "1.0.0.0-r1", "bdist_wininst"),
    ("brownfox-0.1.macosx-10.9-intel.exe", "brownfox", "0.1", "bdist_wininst"),
    # MSI installers.
    ("guppy-0.1.9.win32-py2.6.msi", "guppy", "0.1.9", "bdist_msi"),
    ("unitbench-0.1.win32.msi", "unitbench", "0.1", "bdist_msi"),
    ("ntracer-0.6.2.pentium4-py3.4.msi", "ntracer", "0.6.2", "bdist_msi"),
    ("gett-cli-0.2.2.win32-py3.2.msi", "gett-cli", "0.2.2", "bdist_msi"),
    ("winappdbg-1.3.win-amd64-py2.4.msi", "winappdbg", "1.3", "bdist_msi"),
    ("taurus-4.0.3.win-amd64.msi", "taurus", "4.0.3", "bdist_msi"),
    ("sima-0.3.1.win-amd64-py2.7.msi", "sima", "0.3.1", "bdist_msi"),
    ("timbre-1.0.0.win32.msi", "timbre", "1.0.0", "bdist_msi"),
    # RPMs: name-version-release.arch.
    ("django-mako-0.1.5pre-1.src.rpm", "django-mako", "0.1.5pre", "bdist_rpm"),
    ("django-mako-0.1.4pre-1.noarch.rpm", "django-mako", "0.1.4pre", "bdist_rpm"),
    ("ll-orasql-1.5-1.noarch.rpm", "ll-orasql", "1.5", "bdist_rpm"),
    ("nml-0.1.1-suse1130.noarch.rpm", "nml", "0.1.1", "bdist_rpm"),
    ("elkme-0.2.3-1.noarch.rpm", "elkme", "0.2.3", "bdist_rpm"),
    ("pytest-jira-0.2.2-1.src.rpm", "pytest-jira", "0.2.2", "bdist_rpm"),
    ("pypcapfile-0.12.0-1.noarch.rpm", "pypcapfile", "0.12.0", "bdist_rpm"),
    # Disk images.
    ("dipy-0.5.0-py2.5-macosx10.6.dmg", "dipy", "0.5.0", "bdist_dmg"),
    ("dipy-0.6.0-py2.7-macosx10.6.dmg", "dipy", "0.6.0", "bdist_dmg"),
    ("Gaphor-0.17.0-x11.dmg", "Gaphor", "0.17.0", "bdist_dmg"),
)


# Kinds no file in the real list has.
OTHER_FILENAMES = (
    ("foo-1.0.tar", "foo", "1.0", "sdist"),
    ("foo-1.0.tar.xz", "foo", "1.0", "sdist"),
    ("foo-1.0.tbz", "foo", "1.0", "sdist"),
    ("foo-1.0.tar.Z", "foo", "1.0", "sdist"),
    ("Foo-1.0.TAR.GZ", "Foo", "1.0", "sdist"),
    ("foo-1.0.Tar.Bz2", "foo", "1.0", "sdist"),
    ("foo-1.0-py3-none-any.WHL", "foo", "1.0", "bdist_wheel"),
    ("foo-1.0-py3.11.EGG", "foo", "1.0", "bdist_egg"),
    ("foo-1.0.win-arm64.exe", "foo", "1.0", "bdist_wininst"),
    ("foo-1.0-1.el7.x86_64.rpm", "foo", "1.0", "bdist_rpm"),
    ("foo-1.0.cygwin-3.4.6-x86_64.tar.gz", "foo", "1.0", "bdist_dumb"),
    ("foo-1.0.linux-aarch64.zip", "foo", "1.0", "bdist_dumb"),
)


@pytest.mark.parametrize(
    ("filename", "name", "version", "packagetype"), REAL_FILENAMES + OTHER_FILENAMES,
)
def test_filenames(
    filename: str, name: str, version: str, packagetype: str,
) -> None:
    parsed = parse_filename(filename)
    assert (parsed.name, parsed.version, parsed.packagetype) == (
        name, version, packagetype,
    )


@pytest.mark.parametrize(
    ("filename", "python_version"),
    (
        ("aspy.yaml-0.2.1.tar.gz", "source"),
        ("notebook-4.0.5.ZIP", "source"),
        ("aspy.yaml-0.2.1-py2.py3-none-any.whl", "py2.py3"),
        ("numpy-1.11.1-cp34-cp34m-manylinux1_i686.whl", "cp34"),
        ("mayan_edms-1.1.0-1502100955-py2-none-any.whl", "py2"),
        ("playlyfe-0.1.1-2.7.6-none-any.whl", "2.7.6"),
        ("cmd2-0.3.5-py2.5.egg", "py2.5"),
        ("gnureadline-6.2.5-py2.7-macosx-10.5-x86_64.egg", "py2.7"),
        ("enstaller-4.4.0-1.egg", "any"),
        ("ephem-3.7.5.3.win-amd64-py3.4.exe", "py3.4"),
        ("cclib-0.9.py2.4.exe", "py2.4"),
        ("pyserial-2.7.win32_py3k.exe", "py3k"),
        ("baklabel-1.0.3-2728-py2.7.win32.exe", "py2.7"),
        ("gsshapy-1.0.0.win-amd64.exe", "any"),
        ("ntracer-0.6.2.pentium4-py3.4.msi", "py3.4"),
        ("timbre-1.0.0.win32.msi", "any"),
        ("ll-orasql-1.5-1.noarch.rpm", "any"),
        ("dipy-0.5.0-py2.5-macosx10.6.dmg", "py2.5"),
        ("Gaphor-0.17.0-x11.dmg", "any"),
        ("activegit-0.25.macosx-10.5-x86_64.tar.gz", "any"),
    ),
)
def test_python_version(filename: str, python_version: str) -> None:
    assert parse_filename(filename).python_version == python_version


def test_returns_a_named_tuple() -> None:
    assert parse_filename("aspy.yaml-0.2.1.tar.gz") == ParsedFilename(
        name="aspy.yaml", version="0.2.1", packagetype="sdist",
        python_version="source",
    )


@pytest.mark.parametrize(
    ("filename", "error"),
    (
        ("", UnsafeFilename),
        ("../x-1.0.tar.gz", UnsafeFilename),
        ("a/b-1.0.tar.gz", UnsafeFilename),
        ("a\\b-1.0.tar.gz", UnsafeFilename),
        ("/etc/foo-1.0.tar.gz", UnsafeFilename),
        ("foo-1.0.tar.gz/", UnsafeFilename),
        ("foo-1.0..tar.gz", UnsafeFilename),
        ("stuf-0.8.5.....tar.gz", UnsafeFilename),
        ("foo\x00-1.0.tar.gz", UnsafeFilename),
        ("foo-1.0.tar.gz\x00.txt", UnsafeFilename),
        ("foo-1.0\n.tar.gz", UnsafeFilename),
        ("foo-1.0.tar.gz\n", UnsafeFilename),
        ("foo-1.0\r.tar.gz", UnsafeFilename),
        ("foo-1.0\t.tar.gz", UnsafeFilename),
        ("foo\x1b[31m-1.0.tar.gz", UnsafeFilename),
        ("foo-1.0\x7f.tar.gz", UnsafeFilename),
        ("foo-1.0\x85.tar.gz", UnsafeFilename),
        ("foo-1.0\x9b.tar.gz", UnsafeFilename),
        # What os.fsdecode makes of a name that is not UTF-8.
        ("foo-1.0\udcff.tar.gz", UnsafeFilename),
        ("x" * 300 + "-1.0.tar.gz", UnsafeFilename),
        ("x" * 249 + "-1.0.whl", UnsafeFilename),
        # 138 characters, but 265 bytes in UTF-8.
        ("é" * 127 + "-1.0.tar.gz", UnsafeFilename),
        ("foo-1.0.txt", UnsafeFilename),
        ("foo-1.0", UnsafeFilename),
        ("foo-1.0.gz", UnsafeFilename),
        ("foo-1.0.tar.gz.asc", UnsafeFilename),
        ("foo-1.0.whl.metadata", UnsafeFilename),
        ("foo-1.0.tar.gz ", UnsafeFilename),
        ("foo.tar.gz", UnparseableFilename),
        ("tflearn0.2.2.tar.gz", UnparseableFilename),
        ("2.exe", UnparseableFilename),
        (".tar.gz", UnparseableFilename),
        ("-1.0.tar.gz", UnparseableFilename),
        ("foo-.tar.gz", UnparseableFilename),
        ("Ｆoo-1.0.tar.gz", UnsafeFilename),
        # The Kelvin sign matches "k" under re.IGNORECASE without re.ASCII.
        ("\u212aafka-1.0.tar.gz", UnsafeFilename),
        ("\u017fix-1.0.tar.gz", UnsafeFilename),
        # Look-alikes of a real release: a fullwidth digit, a zero-width
        # space, a right-to-left override, a decomposed accent.
        ("foo-1.\uff10.tar.gz", UnsafeFilename),
        ("foo-1.0\u200b.tar.gz", UnsafeFilename),
        ("foo-1.0-\u202egz.tar.whl", UnsafeFilename),
        ("foo-1.0-cafe\u0301.tar.gz", UnsafeFilename),
        # A version with no letter or digit: "." would be a folder of its own.
        ("foo-.-py3-none-any.whl", UnparseableFilename),
        ("foo-.-py2.7.egg", UnparseableFilename),
        ("foo-+.zip", UnparseableFilename),
        ("foo-_.tar.gz", UnparseableFilename),
        ("nicolas nester-1.0.0.zip", UnparseableFilename),
        ("cv2-wrapper--0.1.zip", UnparseableFilename),
        ("_foo-1.0.tar.gz", UnparseableFilename),
        ("foo_-1.0.tar.gz", UnparseableFilename),
        ("foo.-1.0.tar.gz", UnparseableFilename),
        ("fóo-1.0-py3-none-any.whl", UnsafeFilename),
        ("_foo-1.0-py3-none-any.whl", UnparseableFilename),
        ("foo-1.0.whl", UnparseableFilename),
        ("foo-1.0-py3-none.whl", UnparseableFilename),
        ("foo-1.0-1-2-py3-none-any.whl", UnparseableFilename),
        ("foo--py3-none-any.whl", UnparseableFilename),
        ("foo-1.0.noarch.rpm", UnparseableFilename),
        ("foo-1.0-1.rpm", UnparseableFilename),
        ("foo.egg", UnparseableFilename),
        ("-py2.7.egg", UnparseableFilename),
    ),
)
def test_refused(filename: str, error: type[InvalidFilename]) -> None:
    with pytest.raises(error) as excinfo:
        parse_filename(filename)
    assert type(excinfo.value) is error
    assert excinfo.value.filename == filename
    assert excinfo.value.reason


def test_no_extension_names_the_known_ones() -> None:
    with pytest.raises(UnsafeFilename) as excinfo:
        parse_filename("foo-1.0.txt")
    assert excinfo.value.reason.startswith("no known distribution extension")
    assert ".whl" in excinfo.value.reason


def test_huge_list() -> None:
    if not HUGE_LIST.exists():
        pytest.skip(
            f"{HUGE_LIST} is absent: it comes with CI's ../shared checkout, "
            f"not with the repository",
        )
    filenames = HUGE_LIST.read_text(encoding="utf-8").splitlines()
    refused = []
    empty = []
    for filename in filenames:
        try:
            parsed = parse_filename(filename)
        except (UnsafeFilename, UnparseableFilename):
            refused.append(filename)
        else:
            if not (parsed.name and parsed.version):
                empty.append(filename)
    assert len(filenames) > 70_000
    assert empty == []
    assert len(refused) <= len(filenames) // 100, refused


_EXTENSIONS = (
    ".whl", ".tar.gz", ".TAR.GZ", ".tgz", ".tar.bz2", ".tbz", ".tar.xz",
    ".tar.Z", ".tar", ".zip", ".egg", ".exe", ".msi", ".rpm", ".dmg",
    ".linux-x86_64.tar.gz", ".win32-py2.7.exe", "-py2.7-macosx-10.6-intel.egg",
    ".noarch.rpm", "-py3-none-any.whl",
)
# Every character, lone surrogates included, which os.fsdecode can produce.
_ANY_CHARACTER = st.characters(exclude_categories=())
_PART = st.text(st.sampled_from("aZ09._-+ !vpy\u212aé\udcff\x00/"), max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(_ANY_CHARACTER),
        st.builds(
            lambda stem, extension: stem + extension,
            st.text(_ANY_CHARACTER),
            st.sampled_from(_EXTENSIONS),
        ),
        st.builds(
            lambda parts, extension: "-".join(parts) + extension,
            st.lists(_PART, max_size=7),
            st.sampled_from(_EXTENSIONS),
        ),
    ),
)
def test_arbitrary_text_raises_only_our_errors(filename: str) -> None:
    try:
        parsed = parse_filename(filename)
    except (UnsafeFilename, UnparseableFilename) as e:
        assert e.filename == filename
    else:
        assert parsed.name and parsed.version and parsed.python_version
        assert parsed.name.isascii()
