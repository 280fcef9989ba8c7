// A real full disk (issue 15): a 64 KiB tmpfs, which only root (CAP_SYS_ADMIN) may mount. Its own
// suite so that ctest shows "Skipped" with the reason where it cannot run, not a pass
// (test_reliability injects the same ENOSPC with RLIMIT_FSIZE everywhere).
#include <QtTest>

#include "atomic_file.h"
#include "datasets_test_util.h"

#include <filesystem>
#include <sys/mount.h>

namespace fs = std::filesystem;

class TestFullTmpfs final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        mnt_ = testutil::path(dir_, "small");
        fs::create_directories(mnt_);
        if (::mount("tmpfs", mnt_.c_str(), "tmpfs", 0, "size=64k") != 0)
            QSKIP("cannot mount a tmpfs here (needs root, CAP_SYS_ADMIN); test_reliability's RLIMIT_FSIZE cases cover the code path");
        mounted_ = true;
    }

    void fullTmpfsIsNamed()
    {
        QString message;
        try {
            ember::writeFileAtomic(mnt_ + "/big.bin", std::string(1 << 20, 'x'));
        } catch (const std::runtime_error& e) {
            message = QString::fromUtf8(e.what());
        }
        QVERIFY2(message.contains("no space left on the disk"), qPrintable(message));
        QVERIFY(fs::is_empty(mnt_));   // no temporary left behind
    }

    void cleanupTestCase()
    {
        if (mounted_)
            ::umount(mnt_.c_str());
    }

private:
    QTemporaryDir dir_;
    std::string mnt_;
    bool mounted_ = false;
};

QTEST_APPLESS_MAIN(TestFullTmpfs)
#include "test_full_tmpfs.moc"
