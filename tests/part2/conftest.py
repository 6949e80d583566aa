from harness import use_part

use_part('part2-database')
